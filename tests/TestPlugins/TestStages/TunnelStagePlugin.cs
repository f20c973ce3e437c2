using System.Net;
using System.Threading.Channels;
using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;

namespace RouterHost.TestPlugins.TestStages;

/// <summary>
/// "Tunnel": a stand-in for a tunnel stage that exercises <see cref="IStageSource"/>. It registers one peer
/// (<c>Settings:Peer</c>, allowed <c>Settings:Prefixes</c>) and reads packets "from the wire" out of an in-process
/// channel (<c>AppContext</c> data <c>RouterHost.TestStages.Tunnel/{Exchange}/in</c>, byte arrays): they enter the
/// chain at this stage walking inbound, and the stage gives them the peer as ingress. Packets routed to the
/// peer are consumed and written to <c>.../out</c> (or, with <c>Settings:Discard</c> true, consumed without a copy:
/// for benchmarks, which must not allocate). The peer belongs to the groups <c>Settings:Groups</c> (default <c>tunnel</c>).
/// </summary>
[RouterHostPlugin("Tunnel", Description = "A tunnel stand-in with its own packet source")]
public sealed class TunnelStagePlugin : IStagePlugin
{
    public IReadOnlyList<ConfigurationProblem> Validate(IConfigurationSection settings)
    {
        var problems = new List<ConfigurationProblem>();
        if (string.IsNullOrWhiteSpace(settings["Exchange"]))
        {
            problems.Add(new ConfigurationProblem($"{settings.Path}:Exchange", "is missing"));
        }

        foreach (IConfigurationSection prefix in settings.GetSection("Prefixes").GetChildren())
        {
            if (!IPNetwork.TryParse(prefix.Value, out _))
            {
                problems.Add(new ConfigurationProblem(prefix.Path, $"'{prefix.Value}' is not a network prefix like 10.9.0.0/16 (host bits clear)"));
            }
        }

        return problems;
    }

    public IStage Create(StageContext context)
    {
        string peerName = context.Settings["Peer"] ?? "peer";
        IPNetwork[] prefixes = context.Settings.GetSection("Prefixes").GetChildren().Select(c => IPNetwork.Parse(c.Value ?? string.Empty)).ToArray();
        string[] groups = context.Settings.GetSection("Groups").GetChildren().Select(c => c.Value ?? string.Empty).ToArray();
        PortInfo peer = context.Ports.AddPeer(context.Name, new PeerRegistration(peerName, groups.Length == 0 ? ["tunnel"] : groups, prefixes, 0));
        return new TunnelStage(peer.Id, context.Settings["Exchange"]!, string.Equals(context.Settings["Discard"], "true", StringComparison.OrdinalIgnoreCase));
    }

    private sealed class TunnelStage : IStage, IStageSource
    {
        private readonly PortId _peer;
        private readonly ChannelSource _source;
        private readonly Channel<byte[]> _out = Channel.CreateUnbounded<byte[]>();
        private readonly string[] _keys;
        private readonly bool _discard;

        public TunnelStage(PortId peer, string exchange, bool discard)
        {
            _peer = peer;
            _discard = discard;
            _source = new ChannelSource();
            _keys = [$"RouterHost.TestStages.Tunnel/{exchange}/in", $"RouterHost.TestStages.Tunnel/{exchange}/out"];
            AppContext.SetData(_keys[0], _source.In);
            AppContext.SetData(_keys[1], _out);
        }

        public IReadOnlyList<IPacketReader> Sources => [_source];

        public void Start(IPortRegistry ports)
        {
        }

        public IStageWorker CreateWorker(int lane) => new Worker(this);

        public void Dispose()
        {
            _source.Dispose();
            _out.Writer.TryComplete();
            foreach (string key in _keys)
            {
                AppContext.SetData(key, null);
            }
        }

        private sealed class Worker(TunnelStage stage) : IStageWorker
        {
            public void Process(PacketBatch batch)
            {
                Span<Packet> packets = batch.AsSpan();
                for (int i = 0; i < packets.Length; i++)
                {
                    ref Packet p = ref packets[i];
                    if (batch.Direction == PacketDirection.Inbound && p.IsFromStageSource)
                    {
                        p.Ingress = stage._peer;
                    }
                    else if (batch.Direction == PacketDirection.Outbound && p.Egress == stage._peer)
                    {
                        if (!stage._discard)
                        {
                            stage._out.Writer.TryWrite(p.Data.ToArray());
                        }

                        p.Consume();
                    }
                }
            }

            public void Dispose()
            {
            }
        }
    }

    /// <summary>A source over a channel (it only reads): Read blocks until packets arrive or the source is closed.</summary>
    private sealed class ChannelSource : IPacketReader
    {
        private const int Headroom = 128;
        private readonly CancellationTokenSource _closed = new();
        private readonly byte[][] _slots = Enumerable.Range(0, 64).Select(_ => GC.AllocateArray<byte>(Headroom + 65535, pinned: true)).ToArray();

        public Channel<byte[]> In { get; } = Channel.CreateUnbounded<byte[]>();

        public int Index => 0;

        public bool Read(PacketBatch batch)
        {
            batch.Clear();
            while (true)
            {
                int slot = 0;
                while (slot < _slots.Length && !batch.IsFull && In.Reader.TryRead(out byte[]? packet))
                {
                    packet.CopyTo(_slots[slot].AsSpan(Headroom));
                    batch.Append(_slots[slot], Headroom, packet.Length);
                    slot++;
                }

                if (batch.Count > 0)
                {
                    return true;
                }

                try
                {
                    if (!In.Reader.WaitToReadAsync(_closed.Token).AsTask().GetAwaiter().GetResult())
                    {
                        return false;
                    }
                }
                catch (OperationCanceledException)
                {
                    return false;
                }
            }
        }

        public void Close() => _closed.Cancel();

        public void Dispose()
        {
            Close();
            _closed.Dispose();
        }
    }
}
