#!/bin/bash
# privileges.sh - run-as: sipwire binds its queue as root, then runs as an
# unprivileged user with only CAP_NET_ADMIN (verdicts) and CAP_NET_RAW
# (reject replies), and still does its job: judges packets, blocks a
# scanner, answers a reject rule with a SIP 403 on the wire, reloads its
# rules and reopens its EVE file on SIGHUP.
#
# Checks: the process's real/effective uid and gid are nobody's, its
# effective and permitted capabilities are exactly NET_ADMIN|NET_RAW
# (0x3000), it has no supplementary groups; the EVE file belongs to nobody;
# svwar from the attacker is alerted and nothing of it reaches the PBX; an
# OPTIONS from the phone with a User-Agent a test rule rejects gets a
# "403 Forbidden" back at the phone (built and sent by the unprivileged
# process) and never reaches the PBX; SIGHUP gives "rules reloaded"; the
# process stops cleanly.
. "$(dirname "$0")/lib.sh"

e2e_begin privileges svwar
getent passwd nobody >/dev/null || skip_all "no user nobody"
lab_up
cat >"$W/reject.rules" <<'EOF'
reject sip any any -> any any (msg:"test: reject a marked User-Agent"; sip.user_agent; content:"reject-me"; sid:9100001; rev:1;)
EOF
chmod 644 "$W/reject.rules"
sw_start_or_bail -s "$W/reject.rules" --set run-as.user=nobody

st=/proc/$SW_PID/status
uid=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "$st")
gid=$(awk '/^Gid:/ {print $2, $3, $4, $5}' "$st")
nob=$(id -u nobody)
nobg=$(id -g nobody)
expect_str "uids (real, effective, saved, fs) are nobody's" "$uid" "$nob $nob $nob $nob"
expect_str "gids are nobody's primary group" "$gid" "$nobg $nobg $nobg $nobg"
expect_str "supplementary groups: only that group" "$(awk '/^Groups:/ {print $2 $3}' "$st")" "$nobg"
expect_str "effective capabilities: NET_ADMIN and NET_RAW only" \
	"$(awk '/^CapEff:/ {print $2}' "$st")" 0000000000003000
expect_str "permitted capabilities: the same" "$(awk '/^CapPrm:/ {print $2}' "$st")" 0000000000003000
expect_str "EVE file owned by nobody" "$(stat -c %u "$W/log/eve.json")" "$nob"

cap_start pbx pbx eth0 udp port 5060
cap_start phone phone eth0 udp port 5060
timeout -k 5 30 ip netns exec "${PREFIX}attacker" svwar -x $ATTACKER --maximumtime 3 -e100-109 $PBX \
	</dev/null >"$W/svwar.out" 2>&1
ns phone python3 - <<'EOF'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.10", 5064))
s.sendto(b"OPTIONS sip:100@192.0.2.5 SIP/2.0\r\n"
         b"Via: SIP/2.0/UDP 192.0.2.10:5064;branch=z9hG4bK-priv-1;rport\r\n"
         b"Max-Forwards: 70\r\nFrom: <sip:200@192.0.2.5>;tag=p1\r\nTo: <sip:100@192.0.2.5>\r\n"
         b"Call-ID: priv-1@192.0.2.10\r\nCSeq: 1 OPTIONS\r\nUser-Agent: reject-me/1.0\r\n"
         b"Content-Length: 0\r\n\r\n", ("192.0.2.5", 5060))
EOF
sleep 1
kill -HUP "$SW_PID"
sleep 1.5
cap_stop pbx
cap_stop phone
sw_stop
check_sw_exit

expect "svwar alerted (7100001)" \
	"$(eve 'count(.event_type == "alert" and .alert.signature_id == 7100001 and .src_ip == "192.0.2.66")')" -ge 1
expect "svwar requests that reached the PBX" "$(pkts pbx '$2 == "192.0.2.66" && $6 == "REQ"')" -eq 0
expect "the rejected OPTIONS reached the PBX" \
	"$(pkts pbx '$2 == "192.0.2.10" && $3 == 5064 && $6 == "REQ"')" -eq 0
expect "a 403 came back to the phone from 192.0.2.5" \
	"$(pkts phone '$2 == "192.0.2.5" && $5 == 5064 && $6 == "RESP" && $7 == "403" && $9 == "OPTIONS"')" -eq 1 \
	"$(cat "$W/phone.tsv")"
expect "stats: reject_sip" "$(eve 'stats.sipwire.ips.reject_sip')" -eq 1
expect "SIGHUP as nobody: rules reloaded" "$(grep -c 'rules reloaded' "$SW_ERR")" -eq 1 "$(cat "$SW_ERR")"
expect "SIGHUP as nobody: no EVE reopen failure" "$(grep -c 'cannot reopen' "$SW_ERR")" -eq 0

e2e_end
