using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;

namespace RouterHost.TestPlugins.TestStages;

/// <summary>
/// "Bounce": a packet whose first byte is 0xEE is rejected, and a reply ("BOUNCE" + the original) is emitted
/// back toward its ingress, the way a firewall's reject answers the sender. Exercises emit and WriteFromSelf.
/// </summary>
[RouterHostPlugin("Bounce", Description = "Rejects packets starting with 0xEE and answers the sender")]
public sealed class BounceStagePlugin : IStagePlugin
{
    public static readonly DropReason Bounced = DropReason.Register("test.bounced");

    public IReadOnlyList<ConfigurationProblem> Validate(IConfigurationSection settings) => [];

    public IStage Create(StageContext context) => new BounceStage();

    private sealed class BounceStage : IStage
    {
        public void Start(IPortRegistry ports)
        {
        }

        public IStageWorker CreateWorker(int lane) => new Worker();

        public void Dispose()
        {
        }
    }

    private sealed class Worker : IStageWorker
    {
        private static ReadOnlySpan<byte> Prefix => "BOUNCE"u8;

        public void Process(PacketBatch batch)
        {
            Span<Packet> packets = batch.AsSpan();
            for (int i = 0; i < packets.Length; i++)
            {
                ref Packet p = ref packets[i];
                if (p.Length == 0 || p.Data[0] != 0xEE)
                {
                    continue;
                }

                PacketBatch? replies = batch.Emitted(PacketDirection.Inbound);
                if (replies is null || !replies.TryAppendOwned(Prefix.Length + p.Length, out int index))
                {
                    p.Drop(DropReason.EmitOverflow);
                    continue;
                }

                ref Packet reply = ref replies[index];
                Prefix.CopyTo(reply.Data);
                p.Data.CopyTo(reply.Data[Prefix.Length..]);
                reply.Egress = p.Ingress;
                p.Reject(Bounced);
            }
        }

        public void Dispose()
        {
        }
    }
}
