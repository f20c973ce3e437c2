using System.Diagnostics;
using System.Runtime.CompilerServices;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Routing;
using RouterHost.Packets;

namespace RouterHost.Firewall.Stage;

/// <summary>
/// The Firewall stage's per-thread processor. Per packet: read its fields (malformed → counted drop), pass it
/// if its connection is tracked (or it is an ICMP error about a tracked connection), else evaluate the rules of
/// the batch's direction: accept (and track), drop, or reject — a RST or ICMP administratively-prohibited
/// reply, rate-limited, emitted outward with the sender's port as its egress, so it is written back on the
/// queue the original came in on, or encrypted to the peer that sent it. The router's own packets (ingress
/// Local: replies other stages made) pass. No allocation, lock or exception per packet; the connection table's
/// striped spin locks are held for a few slots at a time.
/// </summary>
internal sealed class FirewallWorker(FirewallStage stage) : IStageWorker
{
    private const int SweepPerBatch = 64;

    public void Process(PacketBatch batch)
    {
        FirewallSnapshot? snapshot = stage.Snapshot;
        if (snapshot is null)
        {
            return;
        }

        long now = Stopwatch.GetTimestamp();
        ConntrackTable conntrack = stage.Conntrack;
        conntrack.Sweep(now, SweepPerBatch);
        PacketDirection direction = batch.Direction;
        CompiledRuleSet rules = snapshot.For(direction);
        IRouteResolver? routes = snapshot.UsesEgress ? stage.Routes : null;
        Span<Packet> packets = batch.AsSpan();
        for (int i = 0; i < packets.Length; i++)
        {
            ref Packet p = ref packets[i];
            if (p.Ingress.Kind == PortKind.Local)
            {
                continue;
            }

            ReadOnlySpan<byte> data = p.Data;
            PortId egress = p.Egress;
            if (egress.IsNone && routes is not null)
            {
                egress = Resolve(routes, ref p);
            }

            DropReason malformed = PacketFields.TryRead(data, p.Ingress, egress, out PacketFields fields);
            if (!malformed.IsNone)
            {
                p.Drop(malformed);
                continue;
            }

            if (conntrack.Lookup(fields, now) != ConntrackMatch.Miss)
            {
                continue;
            }

            if (fields.IsIcmp && IcmpRelated.IsError(fields)
                && IcmpRelated.TryReadQuoted(data, fields, out PacketFields quoted) && conntrack.IsTracked(quoted, now))
            {
                continue;
            }

            RuleVerdict verdict = rules.Evaluate(fields, direction);
            switch (verdict.Action)
            {
                case RuleAction.Accept:
                    if (conntrack.Add(fields, direction, now) == ConntrackInsert.Full)
                    {
                        p.Drop(FirewallDropReasons.ConntrackFull);
                    }

                    break;
                case RuleAction.Drop:
                    p.Drop(verdict.IsDefault ? FirewallDropReasons.DefaultDrop : FirewallDropReasons.RuleDrop);
                    break;
                default:
                    Reject(batch, ref p);
                    break;
            }
        }
    }

    public void Dispose()
    {
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static PortId Resolve(IRouteResolver routes, ref Packet p)
    {
        ReadOnlySpan<byte> data = p.Data;
        ReadOnlySpan<byte> destination = IpPacket.DestinationOf(data);
        if (destination.IsEmpty)
        {
            return PortId.None;
        }

        if (p.FlowHash == 0)
        {
            p.FlowHash = FlowHash.Compute(data);
        }

        return routes.TryResolve(destination, p.FlowHash, out PortId egress) ? egress : PortId.None;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Reject(PacketBatch batch, ref Packet p)
    {
        ReadOnlySpan<byte> data = p.Data;
        RejectResult plan = RejectBuilder.Plan(data, out int length);
        if (!plan.IsReply())
        {
            p.Drop(plan == RejectResult.Malformed ? DropReason.Malformed : FirewallDropReasons.RejectSuppressed);
            return;
        }

        if (!stage.RejectLimit.TryAcquire())
        {
            p.Drop(FirewallDropReasons.RejectRateLimited);
            return;
        }

        PacketBatch? emitted = batch.Emitted(PacketDirection.Outbound);
        if (emitted is null || !emitted.TryAppendOwned(length, out int index))
        {
            p.Drop(DropReason.EmitOverflow);
            return;
        }

        ref Packet reply = ref emitted[index];
        if (!RejectBuilder.Build(data, reply.Data, out int written).IsReply())
        {
            reply.Drop(DropReason.EmitOverflow);
            p.Drop(FirewallDropReasons.RejectSuppressed);
            return;
        }

        reply.TrySetLength(written);
        reply.Ingress = PortId.Local;
        reply.Egress = p.Ingress;
        reply.IngressQueue = p.IngressQueue;
        p.Reject(FirewallDropReasons.RuleReject);
    }
}
