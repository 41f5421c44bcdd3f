"""qa_app's tests. Hypothesis runs without deadlines here: a property test checks behaviour, never speed (that
is bench/'s job), and a 200 ms deadline fails at random on a loaded machine (CI runs two suites side by side;
mutation testing traces every call)."""

from hypothesis import settings

settings.register_profile("qa_app", deadline=None)
settings.load_profile("qa_app")
