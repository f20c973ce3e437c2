using System.Text;
using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;

namespace RouterHost.TestPlugins.TestStages;

/// <summary>
/// "Stall": a stage whose lane stops making progress - the worker that meets a packet holding the bytes of
/// <c>Settings:Marker</c> (default <c>ROUTERHOST-STALL</c>), or its <c>Settings:AfterPackets</c>th packet, blocks
/// inside <c>Process</c> until the stage is disposed. Every other packet passes untouched. Reconfigurable: a reload
/// takes the new settings and counts packets from 0 again. Proves the systemd watchdog stops its pings when a lane
/// stalls.
/// </summary>
[RouterHostPlugin("Stall", Description = "Blocks its lane on a marker packet (watchdog tests)")]
public sealed class StallStagePlugin : IStagePlugin
{
    public IReadOnlyList<ConfigurationProblem> Validate(IConfigurationSection settings) =>
        settings["AfterPackets"] is { } after && (!long.TryParse(after, out long n) || n < 1)
            ? [new ConfigurationProblem($"{settings.Path}:AfterPackets", $"must be a whole number of at least 1 (got '{after}')")]
            : [];

    public IStage Create(StageContext context) => new StallStage(
        Encoding.ASCII.GetBytes(context.Settings["Marker"] is { Length: > 0 } m ? m : "ROUTERHOST-STALL"),
        long.TryParse(context.Settings["AfterPackets"], out long after) ? after : long.MaxValue);

    private sealed class StallStage(byte[] marker, long afterPackets) : IStage, IReconfigurableStage
    {
        private readonly ManualResetEventSlim _released = new();
        private byte[] _marker = marker;
        private long _afterPackets = afterPackets;
        private long _seen;

        public void Start(IPortRegistry ports)
        {
        }

        public IStageWorker CreateWorker(int lane) => new Worker(this);

        public IReadOnlyList<ConfigurationProblem> Reconfigure(IConfigurationSection settings, IPortRegistry ports)
        {
            _marker = Encoding.ASCII.GetBytes(settings["Marker"] is { Length: > 0 } m ? m : "ROUTERHOST-STALL");
            Volatile.Write(ref _seen, 0);
            Volatile.Write(ref _afterPackets, long.TryParse(settings["AfterPackets"], out long after) ? after : long.MaxValue);
            return [];
        }

        public void Dispose() => _released.Set();

        private sealed class Worker(StallStage stage) : IStageWorker
        {
            public void Process(PacketBatch batch)
            {
                Span<Packet> packets = batch.AsSpan();
                for (int i = 0; i < packets.Length; i++)
                {
                    if (Interlocked.Increment(ref stage._seen) >= Volatile.Read(ref stage._afterPackets) || packets[i].Data.IndexOf(stage._marker) >= 0)
                    {
                        stage._released.Wait();
                        return;
                    }
                }
            }

            public void Dispose()
            {
            }
        }
    }
}
