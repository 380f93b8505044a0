"""The standard Dagster metadata every asset carries, applied once to the loaded definitions.

Column schemas and table names come from the table declarations (the single schema source), so
the UI shows a raw table's columns, types and descriptions before anything was materialized;
owners and the link from an asset to its code come from settings. Applied in ``definitions.py``
rather than in each stage folder, so no asset can be left without them.
"""

from __future__ import annotations

import warnings
from typing import Any

import dagster as dg

from listening_pipeline.settings import PROJECT_ROOT, Settings
from listening_pipeline.warehouse.ddl import sql_type
from listening_pipeline.warehouse.tables import ALL_TABLES, RAW_SCHEMA, Table

CODE_REFERENCES = "dagster/code_references"


def table_schema(table: Table, dialect: str) -> dg.TableSchema:
    """The stored table's columns with the warehouse's types, nullability and the declared descriptions."""
    unique_key = len(table.key) == 1
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=name,
                type=sql_type(dtype, dialect),
                description=description,
                constraints=dg.TableColumnConstraints(
                    nullable=name not in table.not_null, unique=unique_key and name == table.key[0]
                ),
            )
            for name, (dtype, description) in table.stored_columns.items()
        ],
        constraints=dg.TableConstraints(other=[f"unique ({', '.join(table.key)})"]),
    )


def table_metadata(table: Table, dialect: str) -> dict[str, Any]:
    return {"dagster/column_schema": table_schema(table, dialect), "dagster/table_name": f"{RAW_SCHEMA}.{table.name}"}


def _is_raw_table(spec: dg.AssetSpec) -> bool:
    return len(spec.key.path) == 1 and spec.key.path[0] in ALL_TABLES and "dbt" not in spec.kinds


def code_references(assets: list[Any], settings: Settings) -> dict[dg.AssetKey, Any]:
    """Each asset's code (its function; for dbt models also the model's SQL file), as links into the
    repository when ``LISTENING_PIPELINE_GIT_URL`` is set, else as local files."""
    computed = [a for a in assets if isinstance(a, dg.AssetsDefinition)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)
        referenced = dg.with_source_code_references(computed)
        if settings.git_url:
            referenced = dg.link_code_references_to_git(
                referenced,
                git_url=settings.git_url,
                git_branch=settings.git_branch,
                file_path_mapping=dg.AnchorBasedFilePathMapping(
                    local_file_anchor=PROJECT_ROOT / "pyproject.toml", file_anchor_path_in_repository="pyproject.toml"
                ),
            )
    found: dict[dg.AssetKey, Any] = {}
    for assets_def in referenced:
        assert isinstance(assets_def, dg.AssetsDefinition)
        for key, metadata in assets_def.metadata_by_key.items():
            if CODE_REFERENCES in metadata:
                found[key] = metadata[CODE_REFERENCES]
    return found


def with_standard_metadata(defs: dg.Definitions, settings: Settings | None = None) -> dg.Definitions:
    """``defs`` with column schemas and table names on the raw-table assets, owners and code references on all."""
    settings = settings or Settings.from_env()
    references = code_references(list(defs.assets or []), settings)

    def add(spec: dg.AssetSpec) -> dg.AssetSpec:
        metadata = dict(spec.metadata)
        if _is_raw_table(spec):
            metadata.update(table_metadata(ALL_TABLES[spec.key.path[0]], settings.warehouse))
        if spec.key in references:
            metadata[CODE_REFERENCES] = references[spec.key]
        owners = [*spec.owners, *(o for o in settings.owners if o not in spec.owners)]
        return spec.replace_attributes(metadata=metadata, owners=owners)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return defs.map_asset_specs(func=add)
