"""The event log of one simulated block (``bench.analytics_block.Block``): every step of every lead as the
services record it (types and ``data`` as in exchange.leads.lifecycle, exchange.offers.claims,
exchange.offers.waves and exchange.sla.sweep), in time order, ids assigned."""

from __future__ import annotations

import json

import numpy as np

from bench.analytics_block import NOTE
from bench.analytics_data import DECLINE_REASONS, STAGES, TEMPERATURES, stamps

NONE = -1


class Log:
    def __init__(self) -> None:
        self.parts: list[tuple] = []

    def add(self, rows, t, order, type_, data, partner=None, offer=None, claim=None) -> None:
        count = len(rows)
        if not count:
            return
        fill = np.full(count, NONE, dtype=np.int64)
        self.parts.append(
            (
                rows,
                np.asarray(t, dtype=np.int64),
                np.full(count, order),
                [type_] * count,
                fill if partner is None else partner,
                fill if offer is None else offer,
                fill if claim is None else claim,
                data if isinstance(data, list) else [data] * count,
            )
        )


def _partners(ids) -> list[str]:
    return [json.dumps(list(row)) for row in ids.tolist()]


def events(b) -> zip:  # noqa: PLR0915 - one list of steps
    rng, now, n, p = b.rng, b.now, b.n, b.p
    log = Log()
    every = np.arange(n)
    pid = p.partner_ids[b.sel]
    temp = TEMPERATURES[b.temp]
    log.add(every, b.pub - 3600, 0, "lead.created", '{"source": "api"}')
    log.add(
        every,
        b.pub,
        1,
        "lead.published",
        [
            f'{{"from": "draft", "to": "published", "kind": "api", "temperature": "{t}"}}'
            for t in temp.tolist()
        ],
    )
    log.add(
        every,
        b.v1 - 1,
        2,
        "lead.offered",
        [
            f'{{"from": "published", "to": "offered", "wave": 1, "partners": {x}}}'
            for x in _partners(pid[:, :3])
        ],
    )
    rows, slots = np.nonzero(b.declined)
    reasons = b.reason[rows, slots]
    log.add(rows, b.decline_t[rows, slots], 3, "offer.declined",
            [f'{{"reason": "{DECLINE_REASONS[r]}", "text": null, "wave": {1 if s < 3 else 2}}}'
             for r, s in zip(reasons.tolist(), slots.tolist(), strict=True)],
            partner=pid[rows, slots], offer=b.offer_id[rows, slots])  # fmt: skip
    rows = np.flatnonzero(b.w2)
    log.add(rows, b.d1[rows], 4, "lead.wave_advanced",
            [f'{{"from": "offered", "to": "offered", "wave": 2, "previous_wave": 1, "reason": "lapsed", '
             f'"partners": {x}}}' for x in _partners(pid[rows, 3:])])  # fmt: skip
    # Claims and what follows them.
    rows = np.flatnonzero(b.claimed)
    slots = b.slot[rows]
    cp, co, cc = pid[rows, slots], b.offer_id[rows, slots], b.claim_id[rows]
    visible = b.visible[rows, slots]
    log.add(rows, b.ct[rows], 5, "lead.claimed",
            [f'{{"from": "offered", "to": "claimed", "wave": {w}, "seconds_to_claim": {s}}}'
             for w, s in zip(b.wave[rows].tolist(), (b.ct[rows] - visible).tolist(), strict=True)],
            partner=cp, offer=co, claim=cc)  # fmt: skip
    claim_of = {"partner": np.full(n, NONE, dtype=np.int64), "claim": np.full(n, NONE, dtype=np.int64)}
    claim_of["partner"][rows], claim_of["claim"][rows] = cp, cc

    def on_claim(mask, t, order, type_, data):
        where = np.flatnonzero(mask)
        log.add(where, t[where] if np.ndim(t) else np.full(len(where), t), order, type_,
                data if not isinstance(data, list) else [data[i] for i in where.tolist()],
                partner=claim_of["partner"][where], claim=claim_of["claim"][where])  # fmt: skip

    view = b.ct + rng.integers(30, 3600, n)
    on_claim(b.claimed & (view <= b.end), view, 6, "lead.contact_viewed", '{"via": "web"}')
    view2 = b.ct + rng.integers(3600, 3 * 86_400, n)
    on_claim(
        b.claimed & (rng.random(n) < 0.4) & (view2 <= b.end),
        view2,
        6,
        "lead.contact_viewed",
        '{"via": "api"}',
    )
    reminded = b.claimed & (b.fr <= now) & (~b.contacted | (b.contact_t > b.fr))
    on_claim(reminded, b.fr, 7, "sla.reminded", '{"clock": "first_contact"}')
    deadline = stamps(b.fd)
    on_claim(b.breached, b.fd + 300, 8, "sla.breached",
             [f'{{"clock": "first_contact", "action": "{"recycle" if r else "remind"}", "deadline": "{d}"}}'
              for r, d in zip(b.breach_action_recycle.tolist(), deadline, strict=True)])  # fmt: skip
    on_claim(b.recycled, b.recycle_t, 9, "lead.recycled", '{"clock": "first_contact", "from": "claimed"}')
    rows = np.flatnonzero(b.rw2)
    log.add(rows, b.vr[rows] - 1, 10, "lead.wave_advanced",
            [f'{{"from": "claimed", "to": "offered", "wave": 2, "previous_wave": 1, "reason": "recycled", '
             f'"partners": {x}}}' for x in _partners(pid[rows, 3:])])  # fmt: skip
    rows = np.flatnonzero(b.unclaimed)
    log.add(
        rows, b.unclaimed_t[rows], 11, "lead.unclaimed", '{"from": "offered", "to": "unclaimed", "waves": 2}'
    )
    within = b.contact_t <= b.fd
    at = stamps(b.contact_t)
    on_claim(b.contacted, b.contact_t, 12, "lead.contacted",
             [f'{{"from": "claimed", "to": "contacted", "channel": "call", "at": "{a}", "first": true, "note": null, '
              f'"within_deadline": {"true" if w else "false"}, "seconds_to_contact": {s}}}'
              for a, w, s in zip(at, within.tolist(), (b.contact_t - b.ct).tolist(), strict=True)])  # fmt: skip
    for k in range(3):  # further contacts and notes while the partner works the lead
        t = b.contact_t + ((b.end - b.contact_t) * rng.random(n)).astype(np.int64)
        on_claim(
            b.contacted & (rng.random(n) < 0.3) & (t <= now),
            t,
            13,
            "lead.contact_logged",
            '{"channel": "email", "first": false, "note": null}',
        )
        t = b.ct + ((b.end - b.ct) * rng.random(n)).astype(np.int64)
        on_claim(
            b.claimed & (rng.random(n) < (0.7, 0.4, 0.2)[k]) & (t <= now), t, 14, "lead.note_added", NOTE
        )
    for k in range(1, 4):
        on_claim(
            b.stage[:, k],
            b.stage_t[:, k],
            15,
            "lead.status_changed",
            f'{{"from": "{STAGES[k - 1]}", "to": "{STAGES[k]}", "note": null}}',
        )
    last = np.array(STAGES)[np.maximum(b.last_stage, 0)]
    currency = np.where(b.chf, "CHF", "EUR")
    on_claim(b.won, b.close_t, 16, "lead.won",
             [f'{{"from": "{s}", "to": "won", "note": null, "amount": "{a:.2f}", "currency": "{c}"}}'
              for s, a, c in zip(last.tolist(), b.amount.tolist(), currency.tolist(), strict=True)])  # fmt: skip
    on_claim(
        b.lost,
        b.close_t,
        16,
        "lead.lost",
        [f'{{"from": "{s}", "to": "lost", "note": null, "reason": "Price"}}' for s in last.tolist()],
    )
    on_claim(
        b.update_breached,
        b.update_breach_t,
        17,
        "sla.breached",
        [
            f'{{"clock": "next_update", "action": "remind", "deadline": "{d}"}}'
            for d in stamps(b.update_breach_t)
        ],
    )
    on_claim(
        b.returned,
        b.return_t,
        18,
        "lead.returned",
        [f'{{"from": "{s}", "to": "returned", "reason": "Not our customer"}}' for s in last.tolist()],
    )
    return _rows(b, log)


def _rows(b, log: Log) -> zip:
    rows = np.concatenate([part[0] for part in log.parts])
    t = np.minimum(np.concatenate([part[1] for part in log.parts]), b.now)
    order = np.concatenate([part[2] for part in log.parts])
    sequence = np.lexsort((order, t))
    columns = [
        np.concatenate([np.asarray(part[i], dtype=object) for part in log.parts])[sequence] for i in (3, 7)
    ]
    ids = [np.concatenate([part[i] for part in log.parts])[sequence] for i in (4, 5, 6)]
    rows, t = rows[sequence], t[sequence]
    count = len(rows)
    b.event_count = count
    first = b.first_event
    return zip(
        range(first, first + count), stamps(t), columns[0].tolist(), [b.p.manufacturer_id] * count,
        *[_null(x) for x in ids[:1]], b.lead_id[rows].tolist(), *[_null(x) for x in ids[1:]],
        ["system"] * count, columns[1].tolist(),
        strict=True,
    )  # fmt: skip


def _null(values: np.ndarray) -> list:
    out = values.astype(object)
    out[values == NONE] = None
    return out.tolist()
