"""One block of leads of ``bench.analytics_data`` simulated at once (numpy, one array per fact), and its
rows for ``COPY``: leads, offers (five slots per lead: wave 1 is 0-2, wave 2 is 3-4), claims (at most
one per lead) and events."""

from __future__ import annotations

import json

import numpy as np

from bench.analytics_data import (
    CAMPAIGNS,
    CLAIM_WINDOW,
    CONTACT_WINDOW,
    COUNTRIES,
    COUNTRY_CODES,
    DAY,
    DECLINE_REASONS,
    HOUR,
    LOST_REASONS,
    STAGES,
    TEMPERATURE_PRIORITY,
    TEMPERATURES,
    UPDATE_WINDOW,
    Programme,
    Sizes,
    nullable,
    stamps,
)

SLOTS = 5
INDUSTRIES = np.array(["Manufacturing", "Chemicals", "Food & Beverage", "Utilities", "Logistics", "Energy"])
NOTE = json.dumps({"text": "Spoke to the buyer, follow-up next week."})
SLA_TERMS = json.dumps(
    {"claim_window_minutes": 480, "first_contact_minutes": 1440, "breach_action": "recycle"}
)


def _exp(rng, mean: float, size) -> np.ndarray:
    return rng.exponential(mean, size).astype(np.int64) + 60


class Block:
    def __init__(self, programme: Programme, rng: np.random.Generator, published: np.ndarray, first_id: int,
                 sizes: Sizes, now: int, start: int) -> None:  # fmt: skip
        self.p, self.rng, self.now = programme, rng, now
        n = self.n = len(published)
        self.pub = published
        self.lead_id = np.arange(first_id, first_id + n)
        self.first_offer, self.first_claim, self.first_event = (
            sizes.offers + 1,
            sizes.claims + 1,
            sizes.events + 1,
        )
        self._dimensions(start)
        self._offers()
        self._claims()
        self._pipeline()
        self._offer_states()

    # --- the simulation -------------------------------------------------------------------------

    def _dimensions(self, start: int) -> None:
        rng, n = self.rng, self.n
        self.temp = rng.choice(3, size=n, p=[0.2, 0.4, 0.4])
        shares = np.array([share for share, _ in COUNTRIES.values()])
        self.country = rng.choice(len(COUNTRIES), size=n, p=shares / shares.sum())
        counts = np.array([len(regions) for _, regions in COUNTRIES.values()])
        index = (rng.random(n) * counts[self.country]).astype(int)
        names = [regions for _, regions in COUNTRIES.values()]
        self.region = np.array(
            [names[c][i] for c, i in zip(self.country.tolist(), index.tolist(), strict=True)]
        )
        self.has_region = rng.random(n) < 0.95
        self.line = rng.integers(0, len(self.p.line_ids), n)
        self.has_line = rng.random(n) < 0.92
        campaign = (self.pub - start) // (30 * DAY) - rng.integers(0, 3, n)
        self.campaign = np.clip(campaign, 0, CAMPAIGNS - 1)
        self.has_campaign = (rng.random(n) < 0.7) & (campaign >= 0)
        self.value = np.round(rng.lognormal(np.log(18_000), 0.9, n), -2)
        self.has_value = rng.random(n) < 0.92
        self.open = self.pub > self.now - 4 * DAY  # still on offer in wave 1

    def _offers(self) -> None:
        rng, n = self.rng, self.n
        sel = np.empty((n, SLOTS), dtype=np.int64)
        for c, tickets in self.p.tickets.items():
            rows = np.flatnonzero(self.country == c)
            sel[rows] = tickets[rng.integers(0, len(tickets), (len(rows), SLOTS))]
            for _ in range(20):  # distinct partners per lead
                clash = np.zeros(len(rows), dtype=bool)
                for j in range(1, SLOTS):
                    dup = (sel[rows, :j] == sel[rows, j : j + 1]).any(axis=1)
                    sel[rows[dup], j] = tickets[rng.integers(0, len(tickets), int(dup.sum()))]
                    clash |= dup
                if not clash.any():
                    break
        self.sel = sel
        self.q = self.p.quality[sel]
        window = CLAIM_WINDOW[self.temp]
        self.window = window
        self.v1 = self.pub + 60 + rng.integers(0, 240, n)
        self.d1 = self.v1 + window
        claimed1 = ~self.open & (rng.random(n) < 0.35 + 0.5 * self.q[:, :3].mean(axis=1))
        slot1 = (rng.random((n, 3)) * self.q[:, :3]).argmax(axis=1)
        self.w2 = ~self.open & ~claimed1  # wave 1 lapsed: wave 2
        self.v2 = self.d1 + 30
        self.d2 = self.v2 + window
        claimed2 = self.w2 & (rng.random(n) < 0.1 + 0.35 * self.q[:, 3:].mean(axis=1))
        slot2 = 3 + (rng.random((n, 2)) * self.q[:, 3:]).argmax(axis=1)
        self.claimed = claimed1 | claimed2
        self.slot = np.where(claimed1, slot1, np.where(claimed2, slot2, -1))
        self.wave = np.where(self.slot >= 3, 2, 1)
        qc = self.q[np.arange(n), np.maximum(self.slot, 0)]
        self.qc = qc
        visible = np.where(self.wave == 2, self.v2, self.v1)
        median = 1800 + 4 * HOUR * (1 - qc) ** 2
        delay = np.minimum(
            rng.lognormal(np.log(median), 0.9).astype(np.int64), (window * 0.95).astype(np.int64)
        )
        self.ct = visible + 30 + delay
        self.unclaimed_w2 = self.w2 & ~claimed2
        # Declines: before the claim (or the end of the wave), never the claimer; only what happened by now.
        self.declined = rng.random((n, SLOTS)) < (0.06 + 0.2 * (1 - self.q))
        self.declined[np.arange(n), np.maximum(self.slot, 0)] &= ~self.claimed
        self.reason = rng.integers(0, len(DECLINE_REASONS), (n, SLOTS))

    def _claims(self) -> None:
        rng, n, now = self.rng, self.n, self.now
        c = self.claimed
        window = CONTACT_WINDOW[self.temp]
        self.fd = self.ct + window
        self.fr = self.ct + (window * 3) // 4
        within = rng.random(n) < 0.45 + 0.5 * self.qc
        recycle = rng.random(n) < 0.6
        late = rng.random(n) < 0.5
        early = self.ct + 60 + (rng.beta(1.2, 4, n) * (window - 120)).astype(np.int64)
        later = self.fd + _exp(rng, DAY, n)
        self.contact_t = np.where(within, early, later)
        self.breached = c & ~within & (self.fd + 300 <= now)
        self.recycled = self.breached & recycle
        self.breach_action_recycle = recycle
        self.contacted = c & (within | (~recycle & late)) & (self.contact_t <= now)
        self.recycle_t = self.fd + 301
        # After a recycle in wave 1, wave 2 is offered; it lapses (nobody claims twice here).
        self.rw2 = self.recycled & (self.wave == 1)
        self.vr = self.recycle_t + 2
        self.dr = self.vr + self.window
        self.unclaimed_r = self.recycled & ((self.wave == 2) | (self.dr <= now))
        self.unclaimed_t = np.where(
            self.unclaimed_w2, self.d2 + 60, np.where(self.wave == 2, self.recycle_t + 2, self.dr + 60)
        )
        self.unclaimed = self.unclaimed_w2 | self.unclaimed_r

    def _pipeline(self) -> None:
        rng, n, now = self.rng, self.n, self.now
        ok = self.contacted
        self.returned = ok & (rng.random(n) < 0.04)
        self.return_t = self.contact_t + _exp(rng, 4 * DAY, n)
        self.returned &= self.return_t <= now
        going = ok & ~self.returned
        self.stage_t = np.zeros((n, 4), dtype=np.int64)
        self.stage = np.zeros((n, 4), dtype=bool)  # contacted, meeting, qualified, proposal reached
        self.stage_t[:, 0], self.stage[:, 0] = self.contact_t, going
        for k, (p, mean) in enumerate(((0.55, 3 * DAY), (0.65, 7 * DAY), (0.65, 10 * DAY)), start=1):
            self.stage_t[:, k] = self.stage_t[:, k - 1] + _exp(rng, mean, n)
            self.stage[:, k] = self.stage[:, k - 1] & (rng.random(n) < p) & (self.stage_t[:, k] <= now)
        last = self.stage.sum(axis=1) - 1  # index of the last stage reached (-1: none)
        last_t = self.stage_t[np.arange(n), np.maximum(last, 0)]
        self.close_t = last_t + _exp(rng, 20 * DAY, n)
        self.won = self.stage[:, 3] & (rng.random(n) < 0.3 + 0.5 * self.qc) & (self.close_t <= now)
        self.lost = going & ~self.won & (rng.random(n) < 0.45) & (self.close_t <= now)
        self.last_stage = last
        self.amount = np.round(np.where(self.has_value, self.value, 20_000) * rng.lognormal(0, 0.3, n), 2)
        self.chf = (COUNTRY_CODES[self.country] == "CH") & (rng.random(n) < 0.5)
        self.update_breach_t = last_t + UPDATE_WINDOW
        self.update_breached = (
            going & ~self.won & ~self.lost & (rng.random(n) < 0.12) & (self.update_breach_t <= now)
        )
        # When the partner stopped working the lead (for contact views and notes).
        end = np.full(n, now)
        end = np.where(self.won | self.lost, self.close_t, end)
        end = np.where(self.returned, self.return_t, end)
        end = np.where(self.recycled, self.recycle_t, end)
        self.end = np.maximum(end, self.ct + 60)

    def _offer_states(self) -> None:
        n, now = self.n, self.now
        exists = np.zeros((n, SLOTS), dtype=bool)
        exists[:, :3] = True
        exists[:, 3:] = (self.w2 | self.rw2)[:, None]
        self.exists = exists
        visible = np.empty((n, SLOTS), dtype=np.int64)
        visible[:, :3] = self.v1[:, None]
        visible[:, 3:] = np.where(self.rw2, self.vr, self.v2)[:, None]
        self.visible = visible
        wave_end = visible + self.window[:, None]
        claim_at = np.where(self.claimed, self.ct, 0)[:, None]
        in_claim_wave = np.zeros((n, SLOTS), dtype=bool)
        in_claim_wave[:, :3] = (self.claimed & (self.wave == 1))[:, None]
        in_claim_wave[:, 3:] = (self.claimed & (self.wave == 2))[:, None]
        until = np.where(in_claim_wave, claim_at, wave_end)
        self.decline_t = (
            visible
            + 60
            + (self.rng.random((n, SLOTS)) * np.maximum(until - visible - 120, 1)).astype(np.int64)
        )
        self.declined &= exists & (self.decline_t <= now)
        state = np.full((n, SLOTS), "expired", dtype=object)
        closed = wave_end.copy()
        state[in_claim_wave] = "taken"
        closed = np.where(in_claim_wave, claim_at, closed)
        still_open = (wave_end > now) | (self.open[:, None] & (np.arange(SLOTS) < 3)[None, :])
        state[still_open] = "open"
        state[self.declined] = "declined"
        closed = np.where(self.declined, self.decline_t, closed)
        rows = np.flatnonzero(self.claimed)
        slots = self.slot[rows]
        mine = np.where(self.recycled[rows], "recycled", np.where(self.returned[rows], "returned", "claimed"))
        state[rows, slots] = mine
        closed[rows, slots] = np.where(self.recycled[rows], self.recycle_t[rows], self.ct[rows])
        self.state = state
        self.closed = closed
        self.closed_present = state != "open"
        self.offer_id = np.full((n, SLOTS), -1, dtype=np.int64)
        self.offer_id[exists] = np.arange(self.first_offer, self.first_offer + int(exists.sum()))
        self.claim_id = np.full(n, -1, dtype=np.int64)
        self.claim_id[self.claimed] = np.arange(self.first_claim, self.first_claim + int(self.claimed.sum()))

    # --- rows -------------------------------------------------------------------------------------

    def status(self) -> np.ndarray:
        status = np.full(self.n, "offered", dtype=object)
        status[self.unclaimed] = "unclaimed"
        active = self.claimed & ~self.recycled
        status[active] = "claimed"
        stage_names = np.array(STAGES, dtype=object)
        going = active & (self.last_stage >= 0)
        status[going] = stage_names[self.last_stage[going]]
        status[self.won] = "won"
        status[self.lost] = "lost"
        status[self.returned] = "returned"
        return status

    def lead_rows(self):
        p, n = self.p, self.n
        status = self.status()
        partner = p.partner_ids[self.sel[np.arange(n), np.maximum(self.slot, 0)]]
        holds = self.claimed & ~self.recycled & ~self.returned
        closed = self.won | self.lost
        wave = np.where(self.w2 | self.rw2, 2, 1)
        created = self.pub - 3600
        region = nullable(self.region, self.has_region)
        line = nullable(np.array(p.line_ids)[self.line], self.has_line)
        campaign = nullable(np.array(p.campaign_ids)[self.campaign], self.has_campaign)
        value = nullable(self.value, self.has_value)
        industries = INDUSTRIES[self.lead_id % len(INDUSTRIES)].tolist()
        return zip(
            self.lead_id.tolist(), [p.manufacturer_id] * n, campaign, line,
            [f"Buyer {i} GmbH" for i in self.lead_id.tolist()], ["Erika"] * n,
            [f"Mustermann {i}" for i in self.lead_id.tolist()], [f"buyer{i}@example.com" for i in self.lead_id.tolist()],
            COUNTRY_CODES[self.country].tolist(), region, [None] * n, industries,
            (self.lead_id % 900 + 5).tolist(), value, ["EUR"] * n, TEMPERATURES[self.temp].tolist(), status.tolist(),
            stamps(self.pub), wave.tolist(), [SLA_TERMS] * n, nullable(partner, holds), stamps(self.ct, holds),
            stamps(self.close_t, closed), nullable(self.amount, self.won),
            nullable(np.where(self.chf, "CHF", "EUR"), self.won),
            nullable(LOST_REASONS[self.lead_id % len(LOST_REASONS)], self.lost),
            [f"buyer{i}@example.com|buyer {i} gmbh" for i in self.lead_id.tolist()], stamps(created),
            stamps(np.minimum(np.maximum(self.end, self.pub), self.now)),
            strict=True,
        )  # fmt: skip

    def offer_rows(self):
        p = self.p
        rows, slots = np.nonzero(self.exists)
        wave = np.where(slots >= 3, 2, 1)
        rank = np.where(slots >= 3, slots - 2, slots + 1)
        score = np.round(0.95 - 0.08 * rank - 0.1 * self.rng.random(len(rows)), 6)
        visible = self.visible[rows, slots]
        deadline = visible + self.window[rows]
        state = self.state[rows, slots]
        declined = state == "declined"
        reason = DECLINE_REASONS[self.reason[rows, slots]]
        closed_present = self.closed_present[rows, slots]
        count = len(rows)
        return zip(
            self.offer_id[rows, slots].tolist(), self.lead_id[rows].tolist(), p.partner_ids[self.sel[rows, slots]].tolist(),
            [p.manufacturer_id] * count, score.tolist(), ["{}"] * count, ["[]"] * count, rank.tolist(),
            TEMPERATURE_PRIORITY[self.temp[rows]].tolist(), wave.tolist(), state.tolist(), stamps(visible),
            stamps(deadline), stamps(visible + (deadline - visible) * 3 // 4), stamps(visible + 300),
            stamps(self.closed[rows, slots], closed_present), nullable(reason, declined), stamps(visible),
            stamps(np.where(closed_present, self.closed[rows, slots], visible)),
            strict=True,
        )  # fmt: skip

    def claim_rows(self):
        p = self.p
        rows = np.flatnonzero(self.claimed)
        slots = self.slot[rows]
        status = np.full(len(rows), "active", dtype=object)
        status[self.recycled[rows]] = "revoked"
        status[self.returned[rows]] = "returned"
        status[self.won[rows]] = "won"
        status[self.lost[rows]] = "lost"
        ended = status != "active"
        ended_t = np.where(
            self.recycled[rows],
            self.recycle_t[rows],
            np.where(self.returned[rows], self.return_t[rows], self.close_t[rows]),
        )
        reason = np.where(
            self.recycled[rows],
            "SLA breach: first_contact",
            np.where(self.returned[rows], "Not our customer", ""),
        )
        contacted = self.contacted[rows]
        last = self.stage_t[rows, np.maximum(self.last_stage[rows], 0)]
        updating = contacted & ~ended
        count = len(rows)
        return zip(
            self.claim_id[rows].tolist(), self.lead_id[rows].tolist(), self.offer_id[rows, slots].tolist(),
            p.partner_ids[self.sel[rows, slots]].tolist(), [p.manufacturer_id] * count, status.tolist(),
            stamps(self.ct[rows]), stamps(self.fd[rows]), stamps(self.contact_t[rows], contacted),
            nullable(np.full(count, "call"), contacted), stamps(self.fr[rows]), stamps(self.fd[rows] + 300, self.breached[rows]),
            stamps(last + UPDATE_WINDOW, updating), stamps(last, contacted),
            stamps(self.update_breach_t[rows], self.update_breached[rows]), stamps(ended_t, ended),
            nullable(reason, self.recycled[rows] | self.returned[rows]), stamps(self.ct[rows]),
            stamps(np.where(ended, ended_t, self.ct[rows])), stamps(self.visible[rows, slots]),
            strict=True,
        )  # fmt: skip

    def event_rows(self):
        from bench.analytics_events import events

        return events(self)
