"""After the vote: what happens to each funded project, its milestones, photos and money."""
