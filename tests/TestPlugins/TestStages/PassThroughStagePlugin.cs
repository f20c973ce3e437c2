using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;

namespace RouterHost.TestPlugins.TestStages;

/// <summary>"PassThrough": touches every packet (reads its first byte) and passes it on; for chain benchmarks.</summary>
[RouterHostPlugin("PassThrough", Description = "Looks at every packet and passes it on")]
public sealed class PassThroughStagePlugin : IStagePlugin
{
    public IReadOnlyList<ConfigurationProblem> Validate(IConfigurationSection settings) => [];

    public IStage Create(StageContext context) => new PassThroughStage();

    private sealed class PassThroughStage : IStage
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
        public long Checksum { get; private set; }

        public void Process(PacketBatch batch)
        {
            Span<Packet> packets = batch.AsSpan();
            long sum = 0;
            for (int i = 0; i < packets.Length; i++)
            {
                ref Packet p = ref packets[i];
                if (p.Length > 0)
                {
                    sum += p.Data[0];
                }
            }

            Checksum += sum;
        }

        public void Dispose()
        {
        }
    }
}
