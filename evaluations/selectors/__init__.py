"""Every read of the evaluations app, scoped to the user: projects, guidelines, jobs, runs, and
the home dashboard's panels."""
