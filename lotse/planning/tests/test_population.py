"""The population arithmetic, checked against figures computed by hand."""

import pytest

from lotse.planning.population import (
    Group,
    Segment,
    age_forward,
    band_counts,
    children_by_band,
    disjoint_segments,
    projected_births,
    single_years,
    young_family_factor,
)


def test_nested_groups_are_split_by_subtraction():
    segments = disjoint_segments([Group(0, 18, 180), Group(0, 7, 70)])
    assert segments == [Segment(tuple(range(0, 7)), 70), Segment(tuple(range(7, 18)), 110)]


def test_partly_overlapping_group_is_ignored():
    segments = disjoint_segments([Group(45, 65, 20), Group(60, 120, 50), Group(0, 45, 30)])
    assert [s.ages[0] for s in segments] == [45, 0]


def test_inconsistent_nested_group_never_goes_negative():
    segments = disjoint_segments([Group(0, 18, 50), Group(0, 7, 70)])
    assert segments[1].count == 0


def test_single_years_follow_the_births_of_their_cohort():
    # 0 to under 3 = 60 on 31 Dec 2021; born 2021: 10, 2020: 20, 2019: 30 → 10, 20, 30.
    estimate = single_years([Group(0, 3, 60)], {2021: 10, 2020: 20, 2019: 30}, 2021)
    assert estimate == {0: 10.0, 1: 20.0, 2: 30.0}


def test_unknown_births_weigh_as_the_mean_of_known_ones():
    # Known: 2021 = 10, 2020 = 30 (mean 20); 2019 unknown → weight 20. Sum of weights 60.
    estimate = single_years([Group(0, 3, 120)], {2021: 10, 2020: 30}, 2021)
    assert estimate == {0: 20.0, 1: 60.0, 2: 40.0}


def test_bands_from_coarse_groups():
    # 0–7 = 70 with equal births → 10 per year; 7–18 = 110 → 10 per year.
    groups = [Group(0, 7, 70), Group(0, 18, 180)]
    births = {year: 10 for year in range(2015, 2022)}
    assert band_counts(single_years(groups, births, 2021)) == {"u3": 30, "ue3": 30, "school": 80}


def test_projected_births_use_the_mean_of_the_last_three_years():
    births = {2011: 100, 2019: 9, 2020: 12, 2021: 15}
    assert projected_births(births, 2020) == 12
    assert projected_births(births, 2023) == 12  # (9 + 12 + 15) / 3
    assert projected_births({}, 2023) == 0


def test_young_family_factor():
    # 0 to under 7 = 35 residents behind 70 births: half of the young families moved away.
    births = {year: 10 for year in range(2015, 2022)}
    assert young_family_factor([Group(0, 7, 35)], births, 2021) == 0.5
    assert young_family_factor([Group(6, 14, 35)], births, 2021) == 1.0


def test_age_forward_shifts_cohorts_and_adds_births():
    estimate = {0: 10.0, 1: 20.0, 2: 30.0}
    aged = age_forward(estimate, {2022: 40, 2023: 50}, 2021, 2023, factor=0.5)
    assert aged == {2: 10.0, 3: 20.0, 4: 30.0, 0: 25.0, 1: 20.0}
    with pytest.raises(ValueError):
        age_forward(estimate, {}, 2021, 2020)


def test_children_by_band_uses_the_latest_earlier_year():
    groups = {2021: [Group(0, 3, 30), Group(3, 6, 30), Group(6, 14, 80)]}
    births = {2019: 10, 2020: 10, 2021: 10}
    assert children_by_band(groups, births, 2021) == (
        {"u3": 30.0, "ue3": 30.0, "school": 80.0},
        2021,
    )
    bands, base = children_by_band(groups, births, 2022)
    assert base == 2021
    # 2022: age 0 = 10 births × factor 1; ages 1, 2 = 10 each; ue3 = 10 + 10 + 10; school 80.
    assert bands == {"u3": 30.0, "ue3": 30.0, "school": 80.0}
    assert children_by_band(groups, births, 2020) == ({"u3": 0, "ue3": 0, "school": 0}, None)
