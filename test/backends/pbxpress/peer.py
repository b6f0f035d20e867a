#!/usr/bin/env python3
"""An independent PBXpress XML-RPC peer on Python's standard xmlrpc.server, for wire-compatibility tests.

It serves the guide's methods (and the sample's get_all) at /RPC2 behind HTTP Basic, with allow_none=True,
answers "none" in several ways (None, 0, True, ''), raises faults whose faultString carries backslash escapes
(Python 2's 'string-escape', which the guide's sample decodes), and lets missing keys surface as the internal
KeyError faults a plain Python server produces. Usage: peer.py USER PASSWORD. Prints the port it listens on
(127.0.0.1, a free port), then serves until stdin closes or it is terminated.
"""
import base64
import codecs
import sys
import threading
from xmlrpc.client import Fault
from xmlrpc.server import SimpleXMLRPCRequestHandler, SimpleXMLRPCServer

USER, PASSWORD = sys.argv[1], sys.argv[2]
EXPECTED = 'Basic ' + base64.b64encode(('%s:%s' % (USER, PASSWORD)).encode('utf-8')).decode('ascii')


def esc(text):
    """Escape as a Python 2 server's 'string-escape' would."""
    return codecs.escape_encode(text.encode('utf-8'))[0].decode('ascii')


def party(pid, number, name, ptype):
    return {'id': pid, 'number': number, 'name': name, 'type': ptype}


ALICE = party(12, '201', 'Alice', 'extension')
BOB = party(13, '202', 'Bob', 'extension')
CAROL = party(14, '203', 'Carol', 'extension')
# The queue shares its internal id with Alice's extension: only (id, type) tells them apart.
SUPPORT = party(12, '600', 'support', 'queue')
GIUSEPPE = party(0, '+390612345678', 'Giuseppe Test', 'unknown')
MARIA = party(0, '+393471234567', 'Maria Esposito', 'unknown')
BY_NUMBER = {p['number']: p for p in (ALICE, BOB, CAROL, SUPPORT)}

EXTENSIONS = [
    {'id': 12, 'type': 'extension', 'abbreviated': 201, 'callerid': {'phone': '+3906555201', 'name': 'Alice'},
     'voicemail': 1, 'email': 'alice@example.com', 'state': 'online'},
    {'id': 13, 'type': 'extension', 'abbreviated': 202, 'callerid': {'phone': '+3906555202', 'name': 'Bob'},
     'voicemail': 0, 'email': '', 'state': 'online'},
    {'id': 14, 'type': 'extension', 'abbreviated': 203, 'callerid': {'phone': '+3906555203', 'name': 'Carol'},
     'voicemail': 1, 'email': '', 'state': 'offline'},
    {'id': 12, 'type': 'queue', 'abbreviated': '600', 'callerid': {'phone': '', 'name': 'support'},
     'voicemail': 0, 'email': '', 'state': 'online'},
    {'id': 1, 'type': 'attendant', 'abbreviated': '800', 'callerid': {'phone': '', 'name': 'Main menu'},
     'voicemail': 0, 'email': '', 'state': 'online'},
]

state = {
    'calls': [
        {'id': 'c1', 'state': 'connected', 'from': GIUSEPPE, 'to': ALICE, 'duration': 42, 'via': 'trunk1', 'qcall': 0},
        # A call to the queue: the incoming leg, and one outgoing leg per ringing extension, nothing linking them.
        {'id': 'q1', 'state': 'ringing', 'from': MARIA, 'to': SUPPORT, 'duration': 20, 'via': 'trunk1', 'qcall': 1},
        {'id': 'l1', 'state': 'ringing', 'from': SUPPORT, 'to': BOB, 'duration': 4, 'via': '', 'qcall': 1},
        {'id': 'l2', 'state': 'ringing', 'from': SUPPORT, 'to': CAROL, 'duration': 4, 'via': '', 'qcall': 1},
        {'id': 'p1', 'state': 'parked', 'from': GIUSEPPE, 'to': party(0, '701', '', 'unknown'), 'duration': 90,
         'via': 'trunk1', 'qcall': 0},
    ],
    'parked': {'701': 'p1'},
    'favorites': [{'id': 12, 'slot': 1, 'size': 'single', 'type': 'extension'}],
    'dict': {'console.layout': 'grid'},
}
OTHER_GROUP = {'c9'}


def find(callid):
    if callid in OTHER_GROUP:
        raise Fault(-3, esc("permission denied: call '%s' is not in your admin group" % callid))
    for c in state['calls']:
        if c['id'] == callid:
            return c
    raise Fault(-1, esc("no such call '%s'" % callid))


def get_calls():
    return state['calls']


def get_extensions():
    return EXTENSIONS


def get_favorites():
    return state['favorites']


def set_favorites(favorites):
    for f in favorites:
        if not any(e['id'] == f['id'] and e['type'] == f['type'] for e in EXTENSIONS):
            raise Fault(-1, esc("no such %s %s" % (f.get('type'), f.get('id'))))
    state['favorites'] = favorites
    return True


def transfer(callid, destination):
    call = find(callid)
    if destination not in BY_NUMBER:
        raise Fault(0, esc("invalid destination '%s'" % destination))
    call['to'] = BY_NUMBER[destination]
    call['state'] = 'ringing'
    return None


def drop(callid):
    state['calls'].remove(find(callid))
    for slot, cid in list(state['parked'].items()):
        if cid == callid:
            del state['parked'][slot]
    return 0


def get_parking_info():
    return (700, 10, state['parked'])


def park(callid, slot=None):
    call = find(callid)
    if slot is None:
        slot = next(s for s in range(701, 711) if str(s) not in state['parked'])
    if str(slot) in state['parked']:
        raise Fault(-2, esc("slot %s is already taken" % slot))
    state['parked'][str(slot)] = callid
    call['state'] = 'parked'
    return str(slot)


def dict_set(key, value):
    state['dict'][key] = value
    return ''


def dict_set_many(pairs):
    state['dict'].update(pairs)
    return None


def dict_get(key):
    return state['dict'].get(key)


def dict_set_serialized(key, obj):
    state['dict'][key] = obj
    return None


def dict_get_serialized(key):
    return state['dict'][key]


def dict_delete(key):
    del state['dict'][key]
    return None


def get_all():
    return state['dict']


class Handler(SimpleXMLRPCRequestHandler):
    rpc_paths = ('/RPC2',)

    def do_POST(self):
        if self.headers.get('Authorization') != EXPECTED:
            self.send_response(401)
            self.send_header('WWW-Authenticate', 'Basic realm="PBXpress"')
            self.send_header('Content-Length', '0')
            self.end_headers()
            return
        super().do_POST()

    def log_message(self, *args):
        pass


server = SimpleXMLRPCServer(('127.0.0.1', 0), requestHandler=Handler, allow_none=True, logRequests=False)
for fn in (get_calls, get_extensions, get_favorites, set_favorites, transfer, drop, get_parking_info, park,
           dict_set, dict_set_many, dict_get, dict_set_serialized, dict_get_serialized, dict_delete, get_all):
    server.register_function(fn)

print(server.server_address[1], flush=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
# The test owns this process: when its end of stdin closes, stop.
sys.stdin.read()
server.shutdown()
