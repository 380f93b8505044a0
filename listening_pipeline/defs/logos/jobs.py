"""Training the models the project builds itself: the logo detector."""

from dagster import AssetSelection, define_asset_job

from listening_pipeline.defs.execution import model_run_tags

models_job = define_asset_job(
    "models_job",
    selection=AssetSelection.assets("logo_detector"),
    description="Train the models the project builds itself (the logo detector).",
    tags=model_run_tags(),
)
