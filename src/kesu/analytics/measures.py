"""The additive measures of the rollup and the rates derived from them.

Only sums and counts are stored, so any set of rollup rows adds up to the right totals; rates
and averages are derived after adding, never averaged.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass
class Measures:
    complaints: int = 0
    resolved: int = 0
    escalated: int = 0
    reopened: int = 0
    repeated: int = 0
    first_response_decided: int = 0
    first_response_breached: int = 0
    first_response_timed: int = 0
    first_response_minutes: int = 0
    resolution_decided: int = 0
    resolution_breached: int = 0
    resolution_timed: int = 0
    resolution_minutes: int = 0
    csat_sum: int = 0
    csat_count: int = 0
    nps_promoters: int = 0
    nps_detractors: int = 0
    nps_count: int = 0

    def add(self, other: Measures) -> None:
        # Through the instance dictionaries: a day's refresh adds thousands of these.
        mine, theirs = self.__dict__, other.__dict__
        for name in MEASURE_NAMES:
            mine[name] += theirs[name]

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in MEASURE_NAMES}

    @classmethod
    def of(cls, values: dict[str, int | None]) -> Measures:
        """From summed columns; SUM over no rows is NULL."""
        return cls(**{name: int(values.get(name) or 0) for name in MEASURE_NAMES})

    def share(self, part: int) -> float | None:
        return part / self.complaints if self.complaints else None

    @property
    def escalation_rate(self) -> float | None:
        return self.share(self.escalated)

    @property
    def reopen_rate(self) -> float | None:
        return self.share(self.reopened)

    @property
    def repeat_rate(self) -> float | None:
        return self.share(self.repeated)

    @property
    def resolution_rate(self) -> float | None:
        return self.share(self.resolved)

    @property
    def first_response_hours(self) -> float | None:
        if not self.first_response_timed:
            return None
        return self.first_response_minutes / self.first_response_timed / 60

    @property
    def resolution_hours(self) -> float | None:
        if not self.resolution_timed:
            return None
        return self.resolution_minutes / self.resolution_timed / 60

    @property
    def first_response_compliance(self) -> float | None:
        return _kept(self.first_response_decided, self.first_response_breached)

    @property
    def resolution_compliance(self) -> float | None:
        return _kept(self.resolution_decided, self.resolution_breached)

    @property
    def sla_compliance(self) -> float | None:
        """Share of the decided clocks of both kinds that were met on time."""
        return _kept(
            self.first_response_decided + self.resolution_decided,
            self.first_response_breached + self.resolution_breached,
        )

    @property
    def sla_breaches(self) -> int:
        return self.first_response_breached + self.resolution_breached

    @property
    def csat_average(self) -> float | None:
        return self.csat_sum / self.csat_count if self.csat_count else None

    @property
    def nps(self) -> float | None:
        """Net promoter score: promoters (9–10) less detractors (0–6), in % of answers."""
        if not self.nps_count:
            return None
        return (self.nps_promoters - self.nps_detractors) * 100 / self.nps_count


def _kept(decided: int, breached: int) -> float | None:
    return (decided - breached) / decided if decided else None


MEASURE_NAMES: tuple[str, ...] = tuple(field.name for field in fields(Measures))
