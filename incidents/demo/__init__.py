"""The demo tenant (a diamond mine) and volume data for benchmarks. They live at the top of
the app stack because later issues add categories, incidents and workflows to them."""
