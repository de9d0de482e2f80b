"""The shipped artifacts: layout, purity of the catalog core, registries matching the schemas."""

import subprocess
import sys

from conftest import ROOT
from daiban.catalog.field_types import FIELD_TYPES
from daiban.catalog.schemas import load_schema


def run_python(code: str, cwd=ROOT) -> str:
    result = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True,
                            check=True)
    return result.stdout.strip()


def test_import_platform_from_the_repository_root_is_the_standard_library():
    assert not (ROOT / "platform" / "__init__.py").exists()
    path = run_python("import platform; print(platform.__file__); platform.python_version()")
    assert not path.startswith(str(ROOT))


def test_catalog_core_imports_neither_flask_nor_peewee():
    code = (
        "import sys; import daiban.catalog.loader, daiban.catalog.diff, daiban.catalog.rules; "
        "print(sorted(m for m in ('flask', 'peewee', 'flask_admin') if m in sys.modules))"
    )
    assert run_python(code) == "[]"


def test_every_field_type_of_the_schema_has_a_registry_entry():
    schema, _ = load_schema("matter")
    words = set(schema["$defs"]["field"]["properties"]["type"]["enum"])
    assert words == set(FIELD_TYPES)


def test_every_migration_is_a_numbered_file():
    names = sorted(p.name for p in (ROOT / "platform" / "daiban" / "migrations").glob("*.py"))
    assert names and all(name[:3].isdigit() and name[3] == "_" for name in names)


def test_the_console_script_answers_help():
    result = subprocess.run([sys.executable, "-m", "daiban.cli", "--help"], capture_output=True,
                            text=True, cwd=ROOT)
    assert result.returncode == 0
    assert "catalog" in result.stdout and "db" in result.stdout


# Filters allowed to scan, with the reason: accounts are counted in thousands even for a league.
SMALL_TABLE_FILTERS = {"RoleFilter": "roles are a comma list matched by LIKE on app_user"}


def test_growing_admin_lists_sort_and_filter_on_indexed_columns():
    from daiban.admin.views import VIEWS

    for view_class, model, _ in VIEWS:
        if not view_class.grows:
            continue
        columns = list(view_class.column_sortable_list or ()) + list(view_class.column_filters or ())
        assert view_class.column_sortable_list is not None, f"{view_class.__name__} sorts on every column"
        for column in columns:
            # A filter object (admin/filters.py) filters on its column; a name is a column itself.
            if type(column).__name__ in SMALL_TABLE_FILTERS:
                continue
            target = getattr(column, "column", column)
            field = target if hasattr(target, "model") else model._meta.fields[target]
            indexed = field.index or field.unique or field.primary_key
            assert indexed, f"{view_class.__name__}: {column} is sorted or filtered but not indexed"
    assert all(v.simple_list_pager for v, _, _ in VIEWS), "a list counts every row"
