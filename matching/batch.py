"""The batch scorer: many leads against many partners with numpy, keeping the top K per lead.

Same contract as the reference scorer (``matching.reference``): the same eligibility, the same
components (``matching.components``), the same weighted sum, ties broken by partner id; the property
tests hold the two to 1e-9. How it stays fast and bounded:

- Categorical facts become integer ids. Specialty depends on the lead only through (product line,
  industry, certifications), so it is computed once per distinct combination as a vector over the
  partners of a country group. Size depends on the partner only through (size band, segments
  served), 40 classes, so it is computed per lead and class. Partner-only components
  (responsiveness, capacity, tier) are computed once per partner with the reference functions.
- Leads are grouped by country; a group is scored only against partners with an area in that
  country, plus radius partners whose circle can reach the group's leads (latitude bound).
- Each group is scored in chunks of at most ``chunk_pairs`` lead-partner pairs, so memory stays
  bounded whatever the number of leads. Top K: K rounds of argmax for small K (argmax returns the
  lowest column among equals, which is the lowest partner id), a sort of the eligible pairs beyond.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from matching import components
from matching.components import (
    DISTANCE_HALF_KM,
    EARTH_RADIUS_KM,
    GEOGRAPHY_LEVELS,
    NEUTRAL,
    SIZE_DEAL,
    SIZE_SEGMENT,
    SPECIALTY_CERTIFICATIONS,
    SPECIALTY_INDUSTRY,
    SPECIALTY_PRODUCT_LINE,
)
from matching.facts import SEGMENTS, LeadFacts, PartnerFacts, ProgramSettings
from matching.weights import COMPONENTS

DEFAULT_CHUNK_PAIRS = 1_000_000  # ~8 MB per float64 working array
ARGMAX_ROUNDS_UP_TO = (
    32  # top-K by repeated argmax up to this K (each round is one cheap pass), by sorting beyond
)

_UNKNOWN_BAND = 4
_SIZE_CLASSES = 5 * 8  # size band (4 + unknown) x segments served (3-bit mask)
_COUNTRY, _REGION, _POSTAL = (GEOGRAPHY_LEVELS[level] for level in ("country", "region", "postal"))


class Choice(NamedTuple):
    """One partner chosen for a lead by the batch scorer."""

    partner_id: int
    score: float
    components: dict[str, float]


@dataclass(frozen=True, eq=False)
class TopK:
    """The best ``k`` eligible partners of each lead, in the order the leads were given.

    Row ``i`` belongs to ``lead_ids[i]``; its columns are best first (ties by partner id). Where a
    lead has fewer than ``k`` eligible partners the rest of its row is padded with ``-1`` ids and
    ``nan`` scores / components. ``components[i, j]`` follows ``COMPONENTS``.
    ``eligible_counts[i]`` is how many partners were eligible for the lead in all.
    """

    lead_ids: np.ndarray  # int64 (leads,)
    partner_ids: np.ndarray  # int64 (leads, k)
    scores: np.ndarray  # float64 (leads, k)
    components: np.ndarray  # float64 (leads, k, len(COMPONENTS))
    eligible_counts: np.ndarray  # int64 (leads,)

    @property
    def k(self) -> int:
        return self.partner_ids.shape[1]

    def choices(self, row: int) -> list[Choice]:
        """The chosen partners of the lead in ``row``, best first."""
        chosen = []
        for column in range(self.k):
            partner_id = int(self.partner_ids[row, column])
            if partner_id < 0:
                break
            values = self.components[row, column]
            chosen.append(
                Choice(
                    partner_id,
                    float(self.scores[row, column]),
                    {name: float(values[i]) for i, name in enumerate(COMPONENTS)},
                )
            )
        return chosen

    def by_lead(self) -> dict[int, list[Choice]]:
        """``{lead id: chosen partners, best first}``."""
        return {int(lead_id): self.choices(row) for row, lead_id in enumerate(self.lead_ids)}


def prepare_partners(partners: Sequence[PartnerFacts], program: ProgramSettings) -> PreparedPartners:
    """Turn partners into the arrays the batch scorer works on, once, for many calls of
    :func:`batch_top_k` with the same ``program`` (scoring one lead at a time stays cheap)."""
    partners = sorted(partners, key=lambda partner: partner.id)
    _refuse_duplicates("partner", [partner.id for partner in partners])
    return PreparedPartners(partners, program)


def batch_top_k(
    leads: Sequence[LeadFacts],
    partners: Sequence[PartnerFacts] | PreparedPartners,
    program: ProgramSettings,
    k: int = 3,
    *,
    chunk_pairs: int = DEFAULT_CHUNK_PAIRS,
) -> TopK:
    """Score every lead against every partner and keep each lead's ``k`` best eligible partners.

    Agrees with :func:`matching.reference.rank_partners` (the first ``k`` of its ``eligible``) to
    1e-9 in score, with the same order. Memory grows with ``chunk_pairs`` and the number of
    partners, not with the number of leads.
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a whole number >= 1, got {k!r}")
    if isinstance(chunk_pairs, bool) or not isinstance(chunk_pairs, int) or chunk_pairs < 1:
        raise ValueError(f"chunk_pairs must be a whole number >= 1, got {chunk_pairs!r}")
    leads = list(leads)
    _refuse_duplicates("lead", [lead.id for lead in leads])
    if isinstance(partners, PreparedPartners):
        if partners.program is not program:
            raise ValueError("the partners were prepared for other programme settings")
        table = partners
        partners = table.partners
    else:
        table = prepare_partners(partners, program)
        partners = table.partners

    n = len(leads)
    result = TopK(
        lead_ids=np.array([lead.id for lead in leads], dtype=np.int64),
        partner_ids=np.full((n, k), -1, dtype=np.int64),
        scores=np.full((n, k), np.nan),
        components=np.full((n, k, len(COMPONENTS)), np.nan),
        eligible_counts=np.zeros(n, dtype=np.int64),
    )
    if n == 0 or not partners:
        return result
    encoded = _LeadTable(leads, table, program)
    for country, rows in encoded.groups().items():
        _score_group(country, rows, encoded, table, program, k, chunk_pairs, result)
    return result


def _refuse_duplicates(kind: str, ids: list[int]) -> None:
    if len(set(ids)) != len(ids):
        twice = sorted(i for i, count in Counter(ids).items() if count > 1)
        raise ValueError(f"{kind} ids appear more than once: {twice[:10]}")


class PreparedPartners:
    """Per-partner arrays, partners in id order (so a lower column is a lower id); made by
    :func:`prepare_partners` for one programme's settings."""

    def __init__(self, partners: list[PartnerFacts], program: ProgramSettings) -> None:
        self.partners = partners
        self.program = program
        count = len(partners)
        self.ids = np.array([p.id for p in partners], dtype=np.int64)
        self.index_of = {p.id: i for i, p in enumerate(partners)}
        self.base_ok = np.array(
            [p.enrolled and p.available and p.leads_in_progress < p.capacity for p in partners]
        )
        min_tier = program.large_deal_min_tier or 0
        self.tier_ok = np.array([p.tier_rank >= min_tier for p in partners])
        # Partner-only components: the reference functions, once per partner.
        self.responsiveness = np.array([components.responsiveness(p, program)[0] for p in partners])
        self.capacity = np.array([components.capacity(p)[0] for p in partners])
        self.tier = np.array([components.tier(p)[0] for p in partners])
        w = program.weights
        self.static = w["responsiveness"] * self.responsiveness + w["capacity"] * self.capacity
        self.static += w["tier"] * self.tier
        self.size_class = np.array([_size_class(p) for p in partners], dtype=np.intp)
        self.no_industries = np.array([not p.industries for p in partners])

        latitude = np.array([np.nan if p.latitude is None else p.latitude for p in partners])
        longitude = np.array([np.nan if p.longitude is None else p.longitude for p in partners])
        self.has_point = ~np.isnan(latitude)
        self.point = _Points(latitude, longitude)
        # nan where there is no radius: "km <= nan" is False, so a bare point covers nothing.
        self.radius = np.array([np.nan if p.radius_km is None else p.radius_km for p in partners])
        self.has_radius = ~np.isnan(self.radius)

        # Coverage areas: (country, region, prefix) -> partner indexes, and per country the partners
        # with any area there and the prefix lengths in use.
        areas: dict[tuple[str, str | None, str | None], list[int]] = defaultdict(list)
        by_country: dict[str, set[int]] = defaultdict(set)
        self.prefix_lengths: dict[str, list[int]] = defaultdict(list)
        for i, partner in enumerate(partners):
            for area in partner.coverage:
                areas[(area.country, area.region, area.postal_prefix)].append(i)
                by_country[area.country].add(i)
                if area.postal_prefix is not None:
                    self.prefix_lengths[area.country].append(len(area.postal_prefix))
        self.areas = {key: np.array(sorted(set(idx)), dtype=np.intp) for key, idx in areas.items()}
        self.by_country = {c: np.array(sorted(idx), dtype=np.intp) for c, idx in by_country.items()}
        self.prefix_lengths = {c: sorted(set(lengths)) for c, lengths in self.prefix_lengths.items()}
        self.radius_partners = np.flatnonzero(self.has_radius)
        self.count = count
        # Which partners serve each product line, industry and certification (column indexes).
        self.by_line = _columns_by(partners, lambda p: p.product_line_ids)
        self.by_industry = _columns_by(partners, lambda p: p.industries)
        self.by_certification = _columns_by(partners, lambda p: p.certifications)


_NONE = np.array([], dtype=np.intp)


def _columns_by(partners: list[PartnerFacts], values) -> dict:
    columns: dict = defaultdict(list)
    for column, partner in enumerate(partners):
        for value in values(partner):
            columns[value].append(column)
    return {value: np.array(found, dtype=np.intp) for value, found in columns.items()}


def _size_class(partner: PartnerFacts) -> int:
    band = components.partner_band(partner)
    mask = sum(1 << i for i, segment in enumerate(SEGMENTS) if segment in partner.segments)
    return (_UNKNOWN_BAND if band is None else band) * 8 + mask


class _Points:
    """Coordinates prepared for the haversine formula in separable form: every per-pair term is a
    product of per-point terms, so the pairwise work is multiplications, one sqrt and one arcsin."""

    def __init__(self, latitude: np.ndarray, longitude: np.ndarray) -> None:
        phi = np.radians(latitude)
        lam = np.radians(longitude)
        self.sin_half_phi, self.cos_half_phi = np.sin(phi / 2), np.cos(phi / 2)
        self.sin_half_lam, self.cos_half_lam = np.sin(lam / 2), np.cos(lam / 2)
        self.cos_phi = np.cos(phi)
        self.phi = phi

    def distance_km(self, rows: np.ndarray, other: _Points, columns: np.ndarray) -> np.ndarray:
        """Distances between ``self[rows]`` and ``other[columns]``: a (rows, columns) array."""
        # sin((b - a) / 2) = sin(b/2) cos(a/2) - cos(b/2) sin(a/2): an absolute error of about 1e-16,
        # so nearby points keep their precision (haversine; unlike formulas built on 1 - cos).
        s_dphi = np.multiply.outer(self.cos_half_phi[rows], other.sin_half_phi[columns])
        s_dphi -= np.multiply.outer(self.sin_half_phi[rows], other.cos_half_phi[columns])
        s_dlam = np.multiply.outer(self.cos_half_lam[rows], other.sin_half_lam[columns])
        s_dlam -= np.multiply.outer(self.sin_half_lam[rows], other.cos_half_lam[columns])
        np.square(s_dphi, out=s_dphi)
        np.square(s_dlam, out=s_dlam)
        s_dlam *= np.multiply.outer(self.cos_phi[rows], other.cos_phi[columns])
        s_dphi += s_dlam
        np.sqrt(s_dphi, out=s_dphi)
        np.minimum(s_dphi, 1.0, out=s_dphi)
        np.arcsin(s_dphi, out=s_dphi)
        s_dphi *= 2 * EARTH_RADIUS_KM
        return s_dphi


class _LeadTable:
    """Per-lead arrays and the per-combination tables derived from the partners."""

    def __init__(self, leads: list[LeadFacts], table: PreparedPartners, program: ProgramSettings) -> None:
        self.leads = leads
        n = len(leads)
        self.large = np.array([program.is_large_deal(lead) for lead in leads])
        latitude = np.array([np.nan if lead.latitude is None else lead.latitude for lead in leads])
        longitude = np.array([np.nan if lead.longitude is None else lead.longitude for lead in leads])
        self.has_point = ~np.isnan(latitude)
        self.point = _Points(latitude, longitude)

        # Product lines: one row per distinct line, plus a last row "no line named" (all pass).
        lines = sorted({lead.product_line_id for lead in leads if lead.product_line_id is not None})
        line_row = {line: i for i, line in enumerate(lines)}
        self.served = np.zeros((len(lines) + 1, table.count), dtype=bool)
        self.served[len(lines)] = True
        for line, row in line_row.items():
            self.served[row, table.by_line.get(line, _NONE)] = True
        self.line_row = np.array(
            [
                len(lines) if lead.product_line_id is None else line_row[lead.product_line_id]
                for lead in leads
            ],
            dtype=np.intp,
        )

        # Specialty depends on the lead only through (line, industry, certifications): number the
        # distinct combinations, and keep which partners serve each industry / hold each certification.
        combos: dict[tuple, int] = {}
        self.specialty_row = np.empty(n, dtype=np.intp)
        for i, lead in enumerate(leads):
            key = (lead.product_line_id, lead.industry_key, lead.certification_keys)
            self.specialty_row[i] = combos.setdefault(key, len(combos))
        self.combos = list(combos)
        self.line_index = line_row
        industries = sorted({industry for _, industry, _ in self.combos if industry is not None})
        self.industry_index = {industry: i for i, industry in enumerate(industries)}
        self.serves_industry = np.zeros((len(industries), table.count), dtype=bool)
        certifications = sorted({c for _, _, certs in self.combos for c in certs})
        self.certification_index = {c: i for i, c in enumerate(certifications)}
        self.holds = np.zeros((len(certifications), table.count), dtype=np.int64)
        for industry, row in self.industry_index.items():
            self.serves_industry[row, table.by_industry.get(industry, _NONE)] = True
        for certification, row in self.certification_index.items():
            self.holds[row, table.by_certification.get(certification, _NONE)] = 1
        self.no_industries = table.no_industries

        # Size depends on the lead through its segment and deal value.
        self.segment = np.array(
            [
                -1 if (s := components.lead_segment(lead.employees)) is None else SEGMENTS.index(s)
                for lead in leads
            ],
            dtype=np.intp,
        )
        self.deal = np.array([np.nan if lead.deal_value is None else lead.deal_value for lead in leads])
        self.ceilings = np.array(program.deal_size_ceilings)
        # segment_fit for (lead segment, segments-served mask): 3 x 8 values from the reference.
        self.segment_fit = np.array(
            [
                [
                    components.segment_fit(
                        segment, frozenset(s for j, s in enumerate(SEGMENTS) if mask >> j & 1)
                    )
                    for mask in range(8)
                ]
                for segment in SEGMENTS
            ]
        )

        self.excluded = {
            i: np.array(
                sorted(table.index_of[p] for p in lead.excluded_partner_ids if p in table.index_of),
                dtype=np.intp,
            )
            for i, lead in enumerate(leads)
            if lead.excluded_partner_ids
        }

    def specialty(self, combo_rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
        """Specialty of the given combinations (rows) for the given partners (columns)."""
        result = np.empty((len(combo_rows), len(columns)))
        for row, combo in enumerate(combo_rows):
            line, industry, certs = self.combos[combo]
            # Same operations in the same order as components.specialty, so the values are identical.
            total = np.zeros(len(columns))
            weight = 0.0
            if line is not None:
                total += SPECIALTY_PRODUCT_LINE * self.served[self.line_index[line], columns].astype(float)
                weight += SPECIALTY_PRODUCT_LINE
            if industry is not None:
                serves = self.serves_industry[self.industry_index[industry], columns]
                value = np.where(serves, 1.0, 0.0)
                value[~serves & self.no_industries[columns]] = NEUTRAL
                total += SPECIALTY_INDUSTRY * value
                weight += SPECIALTY_INDUSTRY
            if certs:
                held = self.holds[np.ix_([self.certification_index[c] for c in sorted(certs)], columns)]
                total += SPECIALTY_CERTIFICATIONS * (held.sum(axis=0) / len(certs))
                weight += SPECIALTY_CERTIFICATIONS
            result[row] = total / weight if weight else NEUTRAL
        return result

    def size(self, rows: np.ndarray) -> np.ndarray:
        """Size fit of the given leads for each partner size class: a (leads, 40) array."""
        band_of_class = np.arange(_SIZE_CLASSES) // 8
        mask_of_class = np.arange(_SIZE_CLASSES) % 8
        segment = self.segment[rows]
        deal = self.deal[rows]
        has_segment = segment >= 0
        has_deal = ~np.isnan(deal)
        # Same operations in the same order as components.size.
        total = np.zeros((len(rows), _SIZE_CLASSES))
        weight = np.zeros(len(rows))
        total[has_segment] += SIZE_SEGMENT * self.segment_fit[segment[has_segment]][:, mask_of_class]
        weight[has_segment] += SIZE_SEGMENT
        # deal_fit per (lead, band): 1 up to the ceiling, then ceiling / value; unknown band NEUTRAL.
        deal_known = deal[has_deal][:, None]
        above = deal_known > self.ceilings[None, :]
        fit = np.ones(above.shape)
        np.divide(
            np.broadcast_to(self.ceilings, above.shape),
            np.broadcast_to(deal_known, above.shape),
            out=fit,
            where=above,
        )
        fit = np.concatenate([fit, np.full((len(fit), 1), NEUTRAL)], axis=1)  # column 4: unknown band
        total[has_deal] += SIZE_DEAL * fit[:, band_of_class]
        weight[has_deal] += SIZE_DEAL
        applicable = weight > 0
        total[applicable] /= weight[applicable, None]
        total[~applicable] = NEUTRAL
        return total

    def groups(self) -> dict[str | None, np.ndarray]:
        rows: dict[str | None, list[int]] = defaultdict(list)
        for i, lead in enumerate(self.leads):
            rows[lead.country].append(i)
        return {country: np.array(idx, dtype=np.intp) for country, idx in rows.items()}


def _score_group(
    country: str | None,
    rows: np.ndarray,
    leads: _LeadTable,
    table: PreparedPartners,
    program: ProgramSettings,
    k: int,
    chunk_pairs: int,
    result: TopK,
) -> None:
    """Score the leads of one country against the partners that can possibly cover them."""
    columns = _candidate_partners(country, rows, leads, table)
    width = len(columns)
    if width == 0:
        return
    local = np.full(table.count, -1, dtype=np.intp)
    local[columns] = np.arange(width)
    areas = {}
    if country is not None:
        areas = {key: local[idx] for key, idx in table.areas.items() if key[0] == country}
    lengths = table.prefix_lengths.get(country, [])

    # Specialty for the group's combinations at once when that table is small, else chunk by chunk.
    group_combos = np.unique(leads.specialty_row[rows])
    specialty_table = None
    if len(group_combos) * width <= 4 * chunk_pairs:
        specialty_table = leads.specialty(group_combos, columns)
        table_row = np.full(len(leads.combos), -1, dtype=np.intp)
        table_row[group_combos] = np.arange(len(group_combos))
    served = leads.served[:, columns]
    size_class = table.size_class[columns]
    base_ok = table.base_ok[columns]
    tier_ok = table.tier_ok[columns]
    static = table.static[columns]
    radius = table.radius[columns]
    pointed = np.flatnonzero(table.has_point[columns])
    weights = program.weights
    kk = min(k, width)
    step = max(1, chunk_pairs // width)

    for start in range(0, len(rows), step):
        chunk = rows[start : start + step]
        height = len(chunk)

        # Geography: the best covering area's level, by scattering levels lowest first.
        geography = np.zeros((height, width))
        for r, lead_row in enumerate(chunk):
            for columns_at_level, level in _covering_areas(leads.leads[lead_row], areas, lengths):
                geography[r, columns_at_level] = level
        covered = geography > 0
        near = np.flatnonzero(leads.has_point[chunk])
        if len(near) and len(pointed):
            km = leads.point.distance_km(chunk[near], table.point, columns[pointed])
            block = np.ix_(near, pointed)
            covered[block] |= km <= radius[pointed]
            bonus = _COUNTRY + (1.0 - _COUNTRY) * (DISTANCE_HALF_KM / (DISTANCE_HALF_KM + km))
            geography[block] = np.maximum(geography[block], bonus)

        # Eligibility: coverage, enrollment, availability and capacity, product line, tier for large
        # deals, exclusions.
        eligible = covered
        eligible &= base_ok
        eligible &= served[leads.line_row[chunk]]
        large = np.flatnonzero(leads.large[chunk])
        if len(large):
            eligible[large] &= tier_ok
        for r, lead_row in enumerate(chunk):
            excluded = leads.excluded.get(int(lead_row))
            if excluded is not None and len(excluded):
                hit = local[excluded]
                eligible[r, hit[hit >= 0]] = False
        counts = np.count_nonzero(eligible, axis=1)
        result.eligible_counts[chunk] = counts
        if not counts.any():
            continue

        # Score: the weighted sum, then -inf where ineligible.
        if specialty_table is not None:
            specialty_values = specialty_table[table_row[leads.specialty_row[chunk]]]
        else:
            combos, which = np.unique(leads.specialty_row[chunk], return_inverse=True)
            specialty_values = leads.specialty(combos, columns)[which]
        size_values = leads.size(chunk)[:, size_class]
        score = weights["specialty"] * specialty_values
        score += weights["size"] * size_values
        score += weights["geography"] * geography
        score += static
        np.clip(score, 0.0, 1.0, out=score)
        score[~eligible] = -np.inf

        r, c, position, s = _top_k(score, eligible, kk)
        target = chunk[r]
        result.partner_ids[target, position] = table.ids[columns[c]]
        result.scores[target, position] = s
        values = (
            specialty_values[r, c],
            size_values[r, c],
            geography[r, c],
            table.responsiveness[columns[c]],
            table.capacity[columns[c]],
            table.tier[columns[c]],
        )
        for i, value in enumerate(values):
            result.components[target, position, i] = value


def _top_k(score: np.ndarray, eligible: np.ndarray, k: int):
    """Rows, columns, positions (0 = best) and scores of each row's ``k`` best eligible entries,
    ties by column. ``score`` is -inf where ineligible, and is used up (overwritten).

    For a small ``k``, ``k`` rounds of argmax (which returns the first, i.e. lowest, column among
    equal maxima); for a large one, a sort of the eligible entries. ``np.partition`` is avoided:
    with most entries at -inf it is far slower than either.
    """
    if k <= ARGMAX_ROUNDS_UP_TO:
        every_row = np.arange(score.shape[0])
        found_rows, found_columns, found_positions, found_scores = [], [], [], []
        for position in range(k):
            best = np.argmax(score, axis=1)
            alive = score[every_row, best] > -np.inf
            if not alive.any():
                break
            rows, columns = every_row[alive], best[alive]
            found_rows.append(rows)
            found_columns.append(columns)
            found_positions.append(np.full(len(rows), position))
            found_scores.append(score[rows, columns])
            score[rows, columns] = -np.inf
        if not found_rows:
            empty = np.empty(0, dtype=np.intp)
            return empty, empty, empty, np.empty(0)
        return tuple(
            np.concatenate(found) for found in (found_rows, found_columns, found_positions, found_scores)
        )
    rows, columns = np.nonzero(eligible)
    values = score[rows, columns]
    order = np.lexsort((columns, -values, rows))
    rows, columns, values = rows[order], columns[order], values[order]
    positions = np.arange(len(rows)) - np.searchsorted(rows, rows, side="left")
    keep = positions < k
    return rows[keep], columns[keep], positions[keep], values[keep]


def _candidate_partners(
    country: str | None, rows: np.ndarray, leads: _LeadTable, table: PreparedPartners
) -> np.ndarray:
    """Partners with an area in the country, and radius partners that may reach one of the leads.

    A radius partner is kept unless its latitude alone puts it farther than its radius from every
    lead of the group that has coordinates (the latitude difference bounds the distance from below).
    """
    nobody = np.empty(0, dtype=np.intp)
    by_area = table.by_country.get(country, nobody) if country is not None else nobody
    radius_partners = table.radius_partners
    pointed_rows = rows[leads.has_point[rows]]
    if len(radius_partners) and len(pointed_rows):
        phi = leads.point.phi[pointed_rows]
        low, high = phi.min(), phi.max()
        partner_phi = table.point.phi[radius_partners]
        gap_km = EARTH_RADIUS_KM * np.abs(np.clip(partner_phi, low, high) - partner_phi)
        # A small slack keeps rounding from dropping a partner exactly on its radius.
        reachable = radius_partners[gap_km <= table.radius[radius_partners] * (1 + 1e-9) + 1e-6]
    else:
        reachable = nobody
    return np.union1d(by_area, reachable).astype(np.intp)


def _covering_areas(lead: LeadFacts, areas: dict, lengths: list[int]):
    """The partner columns of each area containing the lead, with its level, lowest level first."""
    if lead.country is None:
        return
    found = areas.get((lead.country, None, None))
    if found is not None:
        yield found, _COUNTRY
    if lead.region is not None:
        found = areas.get((lead.country, lead.region, None))
        if found is not None:
            yield found, _REGION
    if lead.postal_code is not None:
        for length in lengths:
            if length > len(lead.postal_code):
                break
            prefix = lead.postal_code[:length]
            for region in (None, lead.region) if lead.region is not None else (None,):
                found = areas.get((lead.country, region, prefix))
                if found is not None:
                    yield found, _POSTAL
