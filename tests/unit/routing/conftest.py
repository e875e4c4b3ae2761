"""Shared fixtures: the bundled Helsinki extract imported once per test session, and its
networkx twin for checking the fast ETA engine against a textbook Dijkstra."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from routing import RoadNetwork, default_map_path, import_map


@pytest.fixture(scope="session")
def helsinki_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("maps") / "helsinki"
    import_map(default_map_path(), out)
    return out


@pytest.fixture(scope="session")
def helsinki(helsinki_dir: Path) -> RoadNetwork:
    return RoadNetwork.load(helsinki_dir)


@pytest.fixture(scope="session")
def heidelberg_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from routing_reference import OSM_DATA

    source = OSM_DATA / "heidelberg.osm.pbf"
    assert source.is_file(), f"shared test data missing: {source}"
    out = tmp_path_factory.mktemp("maps") / "heidelberg"
    summary = import_map(source, out)
    assert summary.node_count > 5000 and summary.edge_count > 12000
    assert summary.hospitals == 5 and summary.fire_stations == 2
    return out


@pytest.fixture(scope="session")
def heidelberg(heidelberg_dir: Path) -> RoadNetwork:
    return RoadNetwork.load(heidelberg_dir)


@pytest.fixture(scope="session")
def heidelberg_nx(heidelberg: RoadNetwork) -> nx.MultiDiGraph:
    return heidelberg.graph.to_networkx()


@pytest.fixture(scope="session")
def helsinki_nx(helsinki: RoadNetwork) -> nx.MultiDiGraph:
    return helsinki.graph.to_networkx()
