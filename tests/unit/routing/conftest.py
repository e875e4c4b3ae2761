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
def helsinki_nx(helsinki: RoadNetwork) -> nx.MultiDiGraph:
    return helsinki.graph.to_networkx()
