#!/usr/bin/env python3
"""A TCP proxy a test can take down and bring back, to make a real server unreachable.

    tcp-proxy.py UPSTREAM_HOST UPSTREAM_PORT

Prints "listening PORT" once it listens on 127.0.0.1 (a free port). Then reads commands on stdin, one a
line, and answers each with "ok":
    down  close the listening socket (new connections are refused, ECONNREFUSED) and close every
          proxied connection (both sides), as a server that went away does
    up    listen again on the same port
EOF on stdin ends the proxy.
"""
import socket
import sys
import threading

upstream = (sys.argv[1], int(sys.argv[2]))
lock = threading.Lock()
connections = set()
listener = None
port = 0


def pipe(source, destination):
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            destination.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, destination):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve(server):
    while True:
        try:
            client, _ = server.accept()
        except OSError:
            return  # the listener was closed: "down"
        try:
            remote = socket.create_connection(upstream)
        except OSError:
            client.close()
            continue
        with lock:
            connections.add(client)
            connections.add(remote)
        threading.Thread(target=pipe, args=(client, remote), daemon=True).start()
        threading.Thread(target=pipe, args=(remote, client), daemon=True).start()


def listen():
    global listener, port
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(128)
    port = server.getsockname()[1]
    listener = server
    threading.Thread(target=serve, args=(server,), daemon=True).start()


def down():
    global listener
    if listener is not None:
        try:
            listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        listener.close()
        listener = None
    with lock:
        for sock in connections:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes the pipe threads blocked in recv
            except OSError:
                pass
            sock.close()
        connections.clear()


listen()
print(f"listening {port}", flush=True)
for line in sys.stdin:
    command = line.strip()
    if command == "down":
        down()
    elif command == "up" and listener is None:
        listen()
    print("ok", flush=True)
down()
