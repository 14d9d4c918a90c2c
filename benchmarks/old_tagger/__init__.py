"""The tagger as it was before issue 27 (branch `tagging`, commit df1b9a3), frozen here so
that `bench_tagging` times it beside today's in the same run. Not used by the forum."""
