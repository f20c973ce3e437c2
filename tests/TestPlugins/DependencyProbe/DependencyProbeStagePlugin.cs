using System.CommandLine;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;

namespace RouterHost.TestPlugins.DependencyProbe;

/// <summary>
/// "DependencyProbe": parses <c>Settings:Arguments</c> (e.g. <c>--mark 7</c>) with its own System.CommandLine
/// and marks every packet with the value (in <see cref="Packet.Mark"/> and in its second byte, so tests can see
/// it on the wire), proving the private dependency loaded and works.
/// </summary>
[RouterHostPlugin("DependencyProbe", Description = "Marks packets using its own System.CommandLine")]
public sealed class DependencyProbeStagePlugin : IStagePlugin
{
    public IReadOnlyList<ConfigurationProblem> Validate(IConfigurationSection settings) => [];

    public IStage Create(StageContext context)
    {
        var mark = new Option<uint>("--mark") { Description = "the mark to set" };
        var command = new RootCommand("probe") { mark };
        ParseResult result = command.Parse(context.Settings["Arguments"] ?? "--mark 1");
        if (result.Errors.Count > 0)
        {
            throw new InvalidOperationException($"{context.Settings.Path}:Arguments: {result.Errors[0].Message}");
        }

        string version = typeof(RootCommand).Assembly.GetName().Version?.ToString() ?? "?";
        AppContext.SetData("RouterHost.DependencyProbe/System.CommandLine", version);
        AppContext.SetData("RouterHost.DependencyProbe/NativeVersion", Marshal.PtrToStringUTF8(NativeProbe.zlibVersion()));
        return new ProbeStage(result.GetValue(mark));
    }

    private sealed class ProbeStage(uint mark) : IStage
    {
        public void Start(IPortRegistry ports)
        {
        }

        public IStageWorker CreateWorker(int lane) => new Worker(mark);

        public void Dispose()
        {
        }
    }

    private sealed class Worker(uint mark) : IStageWorker
    {
        public void Process(PacketBatch batch)
        {
            Span<Packet> packets = batch.AsSpan();
            for (int i = 0; i < packets.Length; i++)
            {
                ref Packet p = ref packets[i];
                p.Mark = mark;
                if (p.Length > 1)
                {
                    p.Data[1] = (byte)mark;
                }
            }
        }

        public void Dispose()
        {
        }
    }
}

/// <summary>A native library found only in the plugin's own folder (librouterhost_probe_z.so).</summary>
internal static partial class NativeProbe
{
    [LibraryImport("routerhost_probe_z")]
    internal static partial nint zlibVersion();
}
