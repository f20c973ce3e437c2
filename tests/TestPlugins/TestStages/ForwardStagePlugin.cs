using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;

namespace RouterHost.TestPlugins.TestStages;

/// <summary>
/// "Forward": sends every packet to the port named by <c>Settings:To</c> (a stand-in for routing). Reconfigurable:
/// a reload that changes <c>To</c> moves traffic at once; one that names no port is refused.
/// </summary>
[RouterHostPlugin("Forward", Description = "Sends every packet to one port")]
public sealed class ForwardStagePlugin : IStagePlugin
{
    public IReadOnlyList<ConfigurationProblem> Validate(IConfigurationSection settings) =>
        string.IsNullOrWhiteSpace(settings["To"])
            ? [new ConfigurationProblem($"{settings.Path}:To", "is missing: name the interface or peer to forward to")]
            : [];

    public IStage Create(StageContext context) => new ForwardStage(context.Settings["To"] ?? string.Empty, context.Settings.Path);

    private sealed class ForwardStage(string to, string path) : IStage, IReconfigurableStage
    {
        // The target's raw value, so a reload can swap it atomically while workers read it.
        private uint _targetValue;

        public PortId Target => PortId.FromValue(Volatile.Read(ref _targetValue));

        public void Start(IPortRegistry ports)
        {
            if (!ports.TryFind(to, out PortInfo? port))
            {
                throw new InvalidOperationException($"{path}:To names '{to}', which is not a port of this router");
            }

            Volatile.Write(ref _targetValue, port.Id.Value);
        }

        public IReadOnlyList<ConfigurationProblem> Reconfigure(IConfigurationSection settings, IPortRegistry ports)
        {
            string? next = settings["To"];
            if (string.IsNullOrWhiteSpace(next) || !ports.TryFind(next, out PortInfo? port))
            {
                return [new ConfigurationProblem($"{settings.Path}:To", $"'{next}' is not a port of this router")];
            }

            Volatile.Write(ref _targetValue, port.Id.Value);
            return [];
        }

        public IStageWorker CreateWorker(int lane) => new Worker(this);

        public void Dispose()
        {
        }

        private sealed class Worker(ForwardStage stage) : IStageWorker
        {
            public void Process(PacketBatch batch)
            {
                PortId target = stage.Target;
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
