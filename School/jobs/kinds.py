"""What a job can be: a function that the feature owning it registers under a name.

    @kinds.register("records.import", retries=0)
    def import_upload(job, token, update):
        ...                        # runs as the job's school; job.progress(done, total)
        return {"new": 3}          # the job's result (JSON), shown on the Jobs page

Retries are Huey's: `retries` more attempts after the first, `retry_delay`
seconds before the first retry, multiplied by `backoff` before each next one.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    name: str
    func: object
    retries: int = 0
    retry_delay: float = 0
    backoff: float = 1
    on_failure: object = None
    result_template: str = ""
    forget_args: bool = False

    @property
    def attempts(self):
        return self.retries + 1


_kinds = {}


class UnknownKind(LookupError):
    pass


def register(name, retries=0, retry_delay=0, backoff=1, on_failure=None, result_template="", forget_args=False):
    """on_failure(message, **args): called, as the job's school, once the job has failed for good.
    result_template: shows a done job's result on its page (as `result`), beyond its summary.
    forget_args: the arguments hold secrets (a reset link): emptied in the Job row once it ends."""

    def decorator(func):
        _kinds[name] = Kind(name, func, retries, retry_delay, backoff, on_failure, result_template, forget_args)
        return func

    return decorator


def kind(name):
    try:
        return _kinds[name]
    except KeyError:
        raise UnknownKind(f"no job kind {name!r}") from None


class JobFailed(Exception):
    """A failure a person can act on: its message is shown as is, and it is never retried."""
