using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;

namespace RouterHost.TestPlugins.TestStages;

/// <summary>"Forward": sends every packet to the port named by <c>Settings:To</c> (a stand-in for routing).</summary>
[RouterHostPlugin("Forward", Description = "Sends every packet to one port")]
public sealed class ForwardStagePlugin : IStagePlugin
{
    public IReadOnlyList<ConfigurationProblem> Validate(IConfigurationSection settings) =>
        string.IsNullOrWhiteSpace(settings["To"])
            ? [new ConfigurationProblem($"{settings.Path}:To", "is missing: name the interface or peer to forward to")]
            : [];

    public IStage Create(StageContext context) => new ForwardStage(context.Settings["To"] ?? string.Empty, context.Settings.Path);

    private sealed class ForwardStage(string to, string path) : IStage
    {
        private PortId _target;

        public void Start(IPortRegistry ports)
        {
            if (!ports.TryFind(to, out PortInfo? port))
            {
                throw new InvalidOperationException($"{path}:To names '{to}', which is not a port of this router");
            }

            _target = port.Id;
        }

        public IStageWorker CreateWorker(int lane) => new Worker(_target);

        public void Dispose()
        {
        }

        private sealed class Worker(PortId target) : IStageWorker
        {
            public void Process(PacketBatch batch)
            {
                Span<Packet> packets = batch.AsSpan();
                for (int i = 0; i < packets.Length; i++)
                {
                    packets[i].Egress = target;
                }
            }

            public void Dispose()
            {
            }
        }
    }
}
