"""The parts of a call that break in practice, played against an endpoint (DESIGN.md, "A check is a
call, not a request"): a caller barging in (barge_in.py) and a long call (long_call.py). The tool
turn is built from workbench/tool_calls.py and Platform.tool_result_messages. The check plays
them, and so does `workbench simulate` (workbench/simulate/played.py)."""
