"""The fake OpenAI-compatible LLM server (`workbench mock`): behaves like a good endpoint, or misbehaves on purpose.

    from workbench.mock import MockConfig, MockServer, FAULTS
"""

from workbench.mock.config import MockConfig
from workbench.mock.faults import FAULTS, STREAM_ONLY
from workbench.mock.request_log import RequestRecord
from workbench.mock.server import MockServer, MockThread

__all__ = ["FAULTS", "STREAM_ONLY", "MockConfig", "MockServer", "MockThread", "RequestRecord"]
