using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;
using RouterHost.Samples.Capture.Stage;

namespace RouterHost.Samples.Capture;

/// <summary>
/// The <c>Capture</c> stage: writes the packets passing it to pcapng files that Wireshark and tshark read, with a snap
/// length, a filter (ports, prefixes, protocols) and rotation by size. It never holds a packet up or drops one: every
/// packet goes on unchanged, and what the file writer cannot keep up with is counted (<c>capture_dropped</c>).
/// </summary>
[RouterHostPlugin("Capture", Description = "Writes the packets passing it to pcapng files (filter, snap length, rotation)")]
public sealed class CapturePlugin : IStagePlugin
{
    /// <inheritdoc />
    public IReadOnlyList<ConfigurationProblem> Validate(IConfigurationSection settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var problems = new List<ConfigurationProblem>();
        CaptureSettings.Read(settings, problems, checkFolder: true);
        return problems;
    }

    /// <inheritdoc />
    public IStage Create(StageContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var problems = new List<ConfigurationProblem>();
        CaptureSettings settings = CaptureSettings.Read(context.Settings, problems, checkFolder: true);
        if (problems.Count > 0)
        {
            throw new InvalidOperationException($"The capture stage '{context.Name}' cannot start: {string.Join("; ", problems)}");
        }

        return new CaptureStage(context, settings);
    }
}
