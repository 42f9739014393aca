"""The run viewer (`heedful view RUN_DIR`): a static site of a run, readable offline."""
