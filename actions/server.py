"""The action server: Rasa SDK's app, answering only the Rasa server it was started with.

  python -m actions.server --port 5055        (what `make run` and the tests start; 127.0.0.1 only)

- Every request but `GET /health` must carry the header `X-Action-Secret` with the value of the environment
  variable ACTION_SERVER_SECRET (compared in constant time), else 401. The Rasa server sends it: the
  `action_endpoint` of endpoints.yml names the header, its value `${ACTION_SERVER_SECRET}` from the environment.
  Anyone else who can reach the port cannot make it answer a made-up conversation.
- `GET /health` answers with the header `X-Action-Instance` set to ACTION_SERVER_INSTANCE, a token the starter
  (scripts/servers.py) makes up at each start: it knows the process answering on the port is the one it
  started, not something else that was listening there.
- An error in an action answers 500 with no details. Rasa SDK's own handler put the whole request in the reply
  (the patient's messages) and the error's text in the log; here the log has the error's type and stack
  frames, which find the bug, and no message text.
The server refuses to start without ACTION_SERVER_SECRET.
"""
import argparse
import hmac
import logging
import os
import sys
import traceback

logger = logging.getLogger(__name__)
SECRET_HEADER = "X-Action-Secret"
INSTANCE_HEADER = "X-Action-Instance"
OPEN_PATHS = {"/health"}


def create(secret: str, instance: str = ""):
    """Rasa SDK's Sanic app with the actions of this package, guarded by the shared secret."""
    from rasa_sdk.endpoint import create_app
    from sanic import response

    app = create_app("actions", cors_origins=None)

    async def only_the_rasa_server(request):
        if request.path not in OPEN_PATHS and not hmac.compare_digest(
            request.headers.get(SECRET_HEADER, "").encode(), secret.encode()
        ):
            return response.json({"error": "unauthorised"}, status=401)
        return None

    async def name_this_instance(request, reply):
        if request.path == "/health":
            reply.headers[INSTANCE_HEADER] = instance

    async def no_details(request, exception: Exception):
        frames = "".join(traceback.format_tb(exception.__traceback__))
        logger.error("%s in %s %s (text not logged)\n%s", type(exception).__name__, request.method, request.path,
                     frames)
        return response.json({"error": "internal error"}, status=500)

    app.register_middleware(only_the_rasa_server, "request")
    app.register_middleware(name_this_instance, "response")
    app.error_handler.add(Exception, no_details)  # in place of Rasa SDK's handler, which echoes the request
    return app


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("ACTION_PORT", 5055)))
    parser.add_argument("--host", default="127.0.0.1", help="0.0.0.0 only inside a private network (compose)")
    args = parser.parse_args(argv)
    secret = os.environ.get("ACTION_SERVER_SECRET", "")
    if len(secret) < 16:
        sys.exit("ACTION_SERVER_SECRET must be set (at least 16 characters): the Rasa server sends it with every call")
    logging.basicConfig(level=logging.INFO)
    app = create(secret, os.environ.get("ACTION_SERVER_INSTANCE", ""))
    app.run(host=args.host, port=args.port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
