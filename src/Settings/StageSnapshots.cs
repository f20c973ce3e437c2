using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;

namespace RouterHost.Settings;

/// <summary>Reads a stage's Settings section, adding a problem (with its key path) for each mistake.</summary>
public delegate TSettings StageSettingsParser<out TSettings>(IConfigurationSection settings, List<ConfigurationProblem> problems);

/// <summary>Builds a stage's snapshot from its settings and the router's ports, or null with the problems why not.</summary>
public delegate TSnapshot? StageSnapshotBuilder<in TSettings, out TSnapshot>(TSettings settings, IPortRegistry ports, List<ConfigurationProblem> problems)
    where TSnapshot : class;

/// <summary>
/// The reload cycle the built-in stages share: a stage's data path reads one immutable snapshot, built from its
/// settings and the router's ports and swapped whole. This builds the first at start (a problem fails the start,
/// naming the stage), rebuilds it under one lock when the settings are reloaded (problems refuse the reload and the
/// last snapshot stays) and when peers change at runtime (problems are reported and the last snapshot
/// stays), and stops listening on dispose. What a stage does with a snapshot (install it, log, adjust its rate
/// limits) stays in the stage.
/// </summary>
/// <param name="stage">The stage's name, for the error that fails its start.</param>
/// <param name="settings">The settings it starts with.</param>
/// <param name="build">Builds a snapshot.</param>
/// <param name="install">Makes a snapshot rebuilt after a change of ports current.</param>
/// <param name="portsChangeRefused">Reports a problem (with the owner of the ports that changed) that kept the last snapshot.</param>
public sealed class StageSnapshots<TSettings, TSnapshot>(
    string stage,
    TSettings settings,
    StageSnapshotBuilder<TSettings, TSnapshot> build,
    Action<TSnapshot> install,
    Action<string, ConfigurationProblem> portsChangeRefused) : IDisposable
    where TSnapshot : class
{
    private readonly Lock _lock = new();
    private IPortRegistry? _ports;

    /// <summary>The settings the current snapshot was built from.</summary>
    public TSettings Settings { get; private set; } = settings;

    /// <summary>
    /// Parses a stage's settings for its plugin's <c>Validate</c>: the problems, none when they are fine.
    /// </summary>
    public static IReadOnlyList<ConfigurationProblem> Validate(IConfigurationSection settings, StageSettingsParser<TSettings> parse)
    {
        var problems = new List<ConfigurationProblem>();
        parse(settings, problems);
        return problems;
    }

    /// <summary>Parses a stage's settings for its plugin's <c>Create</c>, which configuration validation has passed.</summary>
    /// <exception cref="InvalidOperationException">The settings have problems (each named with its key path).</exception>
    public static TSettings ParseValid(IConfigurationSection settings, StageSettingsParser<TSettings> parse)
    {
        var problems = new List<ConfigurationProblem>();
        TSettings parsed = parse(settings, problems);
        if (problems.Count > 0)
        {
            throw new InvalidOperationException(string.Join(Environment.NewLine, problems));
        }

        return parsed;
    }

    /// <summary>
    /// Builds the first snapshot, hands it to <paramref name="started"/>, then follows changes of
    /// <paramref name="ports"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The settings do not fit the ports (each problem named).</exception>
    public void Start(IPortRegistry ports, Action<TSnapshot> started)
    {
        ArgumentNullException.ThrowIfNull(ports);
        var problems = new List<ConfigurationProblem>();
        TSnapshot snapshot = build(Settings, ports, problems)
            ?? throw new InvalidOperationException($"stage '{stage}': " + string.Join(Environment.NewLine, problems));
        started(snapshot);
        _ports = ports;
        ports.PortsChanged += OnPortsChanged;
    }

    /// <summary>
    /// Parses reloaded settings and builds their snapshot; when both succeed, <paramref name="apply"/> gets the
    /// previous settings, the new ones and their snapshot (to install it), and the new settings become current.
    /// Returns the problems that refused the reload, none when it was applied.
    /// </summary>
    public IReadOnlyList<ConfigurationProblem> Reconfigure(
        IConfigurationSection settings, IPortRegistry ports, StageSettingsParser<TSettings> parse, Action<TSettings, TSettings, TSnapshot> apply)
    {
        lock (_lock)
        {
            var problems = new List<ConfigurationProblem>();
            TSettings parsed = parse(settings, problems);
            if (problems.Count > 0)
            {
                return problems;
            }

            TSnapshot? snapshot = build(parsed, ports, problems);
            if (snapshot is null)
            {
                return problems;
            }

            TSettings previous = Settings;
            Settings = parsed;
            apply(previous, parsed, snapshot);
            return [];
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ports is not null)
        {
            _ports.PortsChanged -= OnPortsChanged;
        }
    }

    private void OnPortsChanged(object? sender, PortsChangedEventArgs e)
    {
        lock (_lock)
        {
            var problems = new List<ConfigurationProblem>();
            TSnapshot? snapshot = build(Settings, (IPortRegistry)sender!, problems);
            if (snapshot is null)
            {
                foreach (ConfigurationProblem problem in problems)
                {
                    portsChangeRefused(e.Owner, problem);
                }

                return;
            }

            install(snapshot);
        }
    }
}
