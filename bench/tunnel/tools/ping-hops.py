#!/usr/bin/env python3
"""Reads the captures of bench/tunnel/tools/ping-hops DIR and prints, per capture (one bring-up), each hop's
p50/p90/p99/max in ms: A's TUN -> underlay (A's lane seals it), underlay -> B's TUN (B's socket buffer, read and
decryption), B's kernel, B's TUN -> underlay, underlay -> A's TUN. Usage: ping-hops.py DIR [label,label,...]"""
import subprocess, sys, glob, bisect, os
def rows(f, fields):
    out = subprocess.run(['tshark','-r',f,'-T','fields'] + sum([['-e',x] for x in fields],[]), capture_output=True, text=True).stdout
    return [l.split('\t') for l in out.splitlines() if l.strip()]
def pct(v, p):
    v = sorted(v); return v[min(len(v)-1, int(len(v)*p))] if v else float('nan')
d = sys.argv[1]
labels = sys.argv[2].split(',') if len(sys.argv) > 2 else None
for n in sorted({int(os.path.basename(f).split('-')[0]) for f in glob.glob(d+'/*-a-tun.pcap')}):
    at = rows(f'{d}/{n}-a-tun.pcap', ['frame.time_epoch','ip.src','icmp.type','icmp.seq'])
    bt = rows(f'{d}/{n}-b-tun.pcap', ['frame.time_epoch','ip.src','icmp.type','icmp.seq'])
    ul = rows(f'{d}/{n}-a-ul.pcap', ['frame.time_epoch','ip.src'])
    if not at or not ul: continue
    a_ip = [r[1] for r in at if r[2]=='8']
    if not a_ip: continue
    # the A-side source address of echo requests: the most common (the load ping)
    src = max(set(a_ip), key=a_ip.count)
    req_a = {r[3]: float(r[0]) for r in at if r[2]=='8' and r[1]==src}
    rep_a = {r[3]: float(r[0]) for r in at if r[2]=='0' and r[1]!=src}
    req_b = {r[3]: float(r[0]) for r in bt if r[2]=='8' and r[1]==src}
    rep_b = {r[3]: float(r[0]) for r in bt if r[2]=='0'}
    ul_src = {}
    for r in ul: ul_src.setdefault(r[1], []).append(float(r[0]))
    # A's underlay address sends the requests: the one whose first packet is earliest after the first request... pick by count match
    keys = list(ul_src)
    out_times = sorted(ul_src[keys[0]]) ; in_times = sorted(ul_src[keys[1]]) if len(keys) > 1 else []
    # decide direction: outgoing (A->B) datagrams follow A-tun requests closely
    def med_gap(times, starts):
        g=[]
        for s in starts:
            i=bisect.bisect_left(times, s)
            if i < len(times): g.append(times[i]-s)
        return pct(g,0.5) if g else 1e9
    if med_gap(in_times, list(req_a.values())) < med_gap(out_times, list(req_a.values())): out_times, in_times = in_times, out_times
    hops = {'A lane (tun->wire)':[], 'B socket+lane (wire->tun)':[], 'B kernel':[], 'B lane (tun->wire)':[], 'A socket+lane (wire->tun)':[], 'rtt':[]}
    for s, t1 in req_a.items():
        if s not in rep_a or s not in req_b or s not in rep_b: continue
        t4, t5, t7 = req_b[s], rep_b[s], rep_a[s]
        i = bisect.bisect_left(out_times, t1); t2 = out_times[i] if i < len(out_times) and out_times[i] <= t4 else None
        j = bisect.bisect_left(in_times, t5); t6 = in_times[j] if j < len(in_times) and in_times[j] <= t7 else None
        if t2 is None or t6 is None: continue
        for k, v in zip(hops, [t2-t1, t4-t2, t5-t4, t6-t5, t7-t6, t7-t1]): hops[k].append(v*1000)
    name = labels[(n-1) % len(labels)] if labels else str(n)
    print(f'capture {n} ({name}): {len(hops["rtt"])} pings')
    for k, v in hops.items():
        print(f'   {k:28s} p50 {pct(v,.5):7.3f}  p90 {pct(v,.9):7.3f}  p99 {pct(v,.99):7.3f}  max {max(v) if v else 0:7.3f} ms')
