using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;

namespace RouterHost.TestPlugins.TestStages;

/// <summary>"Fault": throws when a packet starts with 0xDD — a buggy third-party stage, to prove the router survives it.</summary>
[RouterHostPlugin("Fault", Description = "Throws on packets starting with 0xDD")]
public sealed class FaultStagePlugin : IStagePlugin
{
    public IReadOnlyList<ConfigurationProblem> Validate(IConfigurationSection settings) => [];

    public IStage Create(StageContext context) => new FaultStage();

    private sealed class FaultStage : IStage
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
        public void Process(PacketBatch batch)
        {
            Span<Packet> packets = batch.AsSpan();
            for (int i = 0; i < packets.Length; i++)
            {
                if (packets[i].Length > 0 && packets[i].Data[0] == 0xDD)
                {
                    throw new InvalidOperationException("simulated stage bug");
                }
            }
        }

        public void Dispose()
        {
        }
    }
}
