#!/bin/bash
# gso.sh - GSO super-packets with partial checksums through the queue
# (NFQA_CFG_F_GSO): with segmentation offload on at the sender, a TCP bulk
# transfer reaches sipwire as packets far larger than the MTU whose TCP
# checksum is not computed yet. sipwire takes them whole (no segmentation
# in the kernel for the queue), does not call their checksums bad, and the
# data arrives intact.
#
# Every interface on the path gets tx/TSO/GSO offload back on (tools/lab.sh
# turns transmit checksum offload off); the phone sends 4 MiB to a TCP
# listener on the PBX's 5061 (queued by the bridge rules), which hashes
# what it received.
. "$(dirname "$0")/lib.sh"

e2e_begin gso python3
lab_up
# Offload back on along the whole path (phone, the outside segment's ports,
# the bridge's ports, the PBX): a device without it would segment the
# super-packet before it reaches the queue.
for node in phone outside sipwire pbx; do
	for dev in $(ns $node ls /sys/class/net); do
		[ "$dev" = lo ] && continue
		ns $node ethtool -K "$dev" tx on tso on gso on sg on >/dev/null 2>&1
	done
done
check "segmentation offload on at the phone" \
	"$(ns phone ethtool -k eth0 | grep -q '^tcp-segmentation-offload: on'; echo $?)" \
	"$(ns phone ethtool -k eth0 | grep -E 'segmentation|checksumming')"
sw_start_or_bail

ns pbx timeout -k 2 30 python3 - "$W/got.sha" <<'EOF' &
import hashlib, socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("192.0.2.5", 5061))
s.listen(1)
s.settimeout(20)
c, _ = s.accept()
c.settimeout(10)
h = hashlib.sha256()
n = 0
while True:
    d = c.recv(65536)
    if not d:
        break
    h.update(d)
    n += len(d)
open(sys.argv[1], "w").write("%d %s\n" % (n, h.hexdigest()))
EOF
SINK=$!
BG_PIDS+=($SINK)
sleep 0.5
sent=$(ns phone python3 - <<'EOF'
import hashlib, os, socket
data = os.urandom(4 << 20)
s = socket.create_connection(("192.0.2.5", 5061), timeout=10)
s.sendall(data)
s.shutdown(socket.SHUT_WR)
try:
    s.recv(1)
except Exception:
    pass
print("%d %s" % (len(data), hashlib.sha256(data).hexdigest()))
EOF
)
wait "$SINK" 2>/dev/null
sw_stop
check_sw_exit

expect_str "the 4 MiB arrived intact (length and SHA-256)" "$(cat "$W/got.sha" 2>/dev/null)" "$sent"
expect "GSO super-packets seen (stats capture.gso)" "$(eve 'stats.sipwire.capture.gso')" -ge 1
expect "packets larger than the MTU judged (capture.packets < 4 MiB / 1448)" \
	"$(eve 'stats.sipwire.capture.packets')" -lt $(((4 << 20) / 1448))
expect "bad TCP checksums reported" "$(eve 'stats.decoder.invalid // 0')" -eq 0
expect "checksum anomalies" \
	"$(eve '[ev("anomaly")[] | select(.anomaly.event | test("csum|checksum"))] | length')" -eq 0
expect "packets cut by the copy range (capture.truncated)" "$(eve 'stats.sipwire.capture.truncated')" -eq 0
expect "nothing dropped" "$(eve 'stats.sipwire.ips.drops')" -eq 0

e2e_end
