"""`workbench check`: probes an endpoint as a platform would and judges each Exchange into Findings."""
