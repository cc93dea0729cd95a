from __future__ import annotations

from datetime import date

import pytest

from window_tui.domain.catalog import Catalog, load_catalog
from window_tui.domain.synthetic import Registry, generate_registry

AS_OF = date(2026, 11, 20)


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="session")
def registry() -> Registry:
    return generate_registry(seed=7, persons=3000, as_of=AS_OF)
