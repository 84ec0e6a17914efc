"""Problem management (seed 001 SOP 19): problems behind incidents, their known errors and
workarounds, linked both ways to the incidents they explain."""
