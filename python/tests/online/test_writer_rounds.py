"""How queued outcome groups are cut into rounds: whole groups only, bounded in groups and outcomes."""

from __future__ import annotations

from supportability.online.writer import MAX_OUTCOME_GROUPS_PER_ROUND, MAX_OUTCOMES_PER_ROUND, next_round


def groups(*sizes: int) -> list[list[int]]:
    return [[0] * size for size in sizes]


def test_a_round_holds_whole_groups_up_to_its_outcomes() -> None:
    assert next_round(groups()) == 0
    assert next_round(groups(400, 600, 1)) == 2  # 1,000 outcomes, then the next group waits
    assert next_round(groups(600, 600)) == 1
    assert next_round(groups(MAX_OUTCOMES_PER_ROUND + 500, 1)) == 1  # a larger group is a round of its own


def test_a_round_holds_at_most_its_groups() -> None:
    assert next_round(groups(*[1] * (MAX_OUTCOME_GROUPS_PER_ROUND + 10))) == MAX_OUTCOME_GROUPS_PER_ROUND


def test_successive_rounds_take_every_group_once() -> None:
    queued = groups(*[7, 999, 1, 1, 500, 500, 500, 2000, 3])
    taken = []
    while queued:
        n = next_round(queued)
        taken.append([len(g) for g in queued[:n]])
        queued = queued[n:]
    assert taken == [[7], [999, 1], [1, 500], [500, 500], [2000], [3]]
