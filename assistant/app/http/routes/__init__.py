"""The routes of `qa serve`, one APIRouter per module: health (/healthz), models (/v1/models), chat
(/v1/chat/completions), search (/v1/search) and documents (/v1/documents). Each takes the Service from
``app.state.service`` (service_state.py); create_app (api.py) mounts them all."""
