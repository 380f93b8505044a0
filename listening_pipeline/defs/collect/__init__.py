"""Collection: videos and comments per hashtag x day, the daily schedule and the jobs that run it."""
