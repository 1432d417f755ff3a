"""A WebSocket client that connects, then freezes itself (SIGSTOP): to the server it
looks like a peer that vanished without closing. Used by test_server_shutdown."""

import asyncio
import os
import signal
import sys

import websockets


async def main(port: str, token: str) -> None:
    sockets = []
    for path in ("/ws/presence/", "/ws/notifications/") * 3:
        ws = await websockets.connect(f"ws://127.0.0.1:{port}{path}?token={token}", origin="http://127.0.0.1")
        await ws.recv()
        sockets.append(ws)
    print("ready", flush=True)
    os.kill(os.getpid(), signal.SIGSTOP)
    await asyncio.sleep(3600)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
