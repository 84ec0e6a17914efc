"""Views of the incidents app, one module per page family."""
