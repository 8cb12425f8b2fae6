"""Learning from complaints (统计分析): a rollup of complaints by day, and the dashboard read from it.

The rollup is a read model: ``service`` keeps it in step with the complaints through the timeline,
``queries`` answers every dashboard question from it alone, so a dashboard at a million complaints
reads a few thousand small rows instead of the complaint table.
"""
