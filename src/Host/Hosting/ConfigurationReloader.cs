using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using RouterHost.Abstractions;
using RouterHost.Configuration;
using RouterHost.Pipeline;
using RouterHost.Plugins;

namespace RouterHost.Hosting;

/// <summary>
/// Live reconfiguration. SIGHUP re-reads the configuration files; a change to one of them (or to anything
/// else that fires the configuration's reload token) schedules a reload after a short quiet period (editors
/// write files in several steps). A configuration file that is no longer trusted
/// (<see cref="RouterHost.Linux.FileTrust"/>: writable by others, another user's) refuses the reload with its
/// reason, and nothing of it is read. A reload then validates the whole configuration: if anything is wrong,
/// each problem is logged with its key path and nothing changes — every stage keeps its last good snapshot.
/// If it is valid, every stage that implements <see cref="IReconfigurableStage"/> rebuilds and swaps its
/// snapshot while traffic flows (outermost first, so a tunnel stage's new peers exist when the stages inside it
/// name them). Every changed key is accounted for by its key path: a key that nothing applies live — what the
/// running router is built from (interfaces, the chain, batch size, plugins, logging, the control socket), the
/// settings of a stage that is not reconfigurable, and a reconfigurable stage's
/// <see cref="IRestartBoundSettings.RestartBoundKeys"/> — is logged as "not applied (needs restart)", never as applied.
/// </summary>
internal sealed partial class ConfigurationReloader : IDisposable
{
    private static readonly TimeSpan QuietPeriod = TimeSpan.FromMilliseconds(300);

    private readonly IConfigurationRoot _configuration;
    private readonly PluginCatalog _catalog;
    private readonly Router _router;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly Timer _timer;
    private RouterOptions _running;
    private Dictionary<string, string?> _values;
    private IDisposable? _changeRegistration;
    private PosixSignalRegistration? _sighup;
    private int _generation;
    private bool _disposed;

    // systemd: SIGHUP sends RELOADING=1; the reload's end (applied or refused) sends READY=1.
    private readonly SystemdNotifier? _notifier;
    private int _reloadingNotified;

    public ConfigurationReloader(IConfigurationRoot configuration, PluginCatalog catalog, Router router, RouterOptions running, ILogger logger, SystemdNotifier? notifier = null)
    {
        _notifier = notifier;
        _configuration = configuration;
        _catalog = catalog;
        _router = router;
        _running = running;
        _logger = logger;
        _values = Flatten(configuration);
        _timer = new Timer(_ => Apply(), null, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>How many reloads were applied (valid) and refused (invalid) so far.</summary>
    public int Applied { get; private set; }

    public int Refused { get; private set; }

    /// <summary>Starts listening for SIGHUP and for changes of the configuration.</summary>
    public void Start()
    {
        _changeRegistration = ChangeToken.OnChange(_configuration.GetReloadToken, Schedule);
        if (!OperatingSystem.IsWindows())
        {
            _sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                context.Cancel = true;
                Log.Signal(_logger);
                NotifyReloading();
                try
                {
                    // Re-reading the files fires the reload token, which schedules the reload.
                    _configuration.Reload();
                }
                catch (Exception ex)
                {
                    // A file that cannot be read or parsed now: report it; the running configuration stays.
                    Log.ReadFailed(_logger, ex);
                    NotifyReady();
                    return;
                }

                Schedule();
            });
        }
    }

    /// <summary>Validates and applies the current configuration now (also what the timer does).</summary>
    public void Apply()
    {
        try
        {
            ApplyCore();
        }
        catch (Exception ex)
        {
            // Never let a reload take the router down.
            Log.ReloadFailed(_logger, ex);
            Refused++;
        }
        finally
        {
            NotifyReady();
        }
    }

    private void NotifyReloading()
    {
        if (_notifier is { IsEnabled: true } && Interlocked.Exchange(ref _reloadingNotified, 1) == 0)
        {
            // MONOTONIC_USEC: CLOCK_MONOTONIC (Stopwatch's clock on Linux), which newer systemd asks for with RELOADING=1.
            long usec = (long)(System.Diagnostics.Stopwatch.GetTimestamp() * (1_000_000.0 / System.Diagnostics.Stopwatch.Frequency));
            _notifier.Notify($"RELOADING=1\nSTATUS=Reloading\nMONOTONIC_USEC={usec.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        }
    }

    private void NotifyReady()
    {
        if (_notifier is not null && Interlocked.Exchange(ref _reloadingNotified, 0) == 1)
        {
            _notifier.Notify("READY=1\nSTATUS=Routing");
        }
    }

    private void ApplyCore()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            int generation = ++_generation;

            // A file that others could have written is not read (its layer keeps what it last trusted), and the reload
            // is refused as a whole: part of an edit is not applied either.
            List<ConfigurationProblem> problems = RefusedFiles();
            RouterOptions next = _running;
            if (problems.Count == 0)
            {
                problems = ConfigurationValidator.Validate(_configuration, _catalog, out next);
            }

            if (problems.Count > 0)
            {
                foreach (ConfigurationProblem problem in problems)
                {
                    Log.Problem(_logger, problem.Path, problem.Message);
                }

                Log.Refused(_logger, generation, problems.Count);
                Refused++;
                return;
            }

            Dictionary<string, string?> values = Flatten(_configuration);
            List<string> changed = Changed(_values, values);
            // Settings prefixes of stages that took theirs, and Serilog's levels (Serilog.Settings.Configuration follows a
            // reload of the levels it was started with).
            var live = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { $"{ConfigurationKeys.Serilog}:MinimumLevel" };
            var restartBound = new List<string>(); // prefixes inside them that still need a restart
            var refusedStages = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

            int reconfigured = 0;
            for (int i = Math.Min(_router.Stages.Count, next.Pipeline.Stages.Count) - 1; i >= 0; i--)
            {
                RouterStage stage = _router.Stages[i];
                StageOptions options = next.Pipeline.Stages[i];
                if (stage.Stage is not IReconfigurableStage reconfigurable
                    || !string.Equals(stage.Name, options.Name, StringComparison.OrdinalIgnoreCase)
                    || !string.Equals(stage.Type, options.Type, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                IReadOnlyList<ConfigurationProblem> refused;
                try
                {
                    refused = reconfigurable.Reconfigure(_configuration.GetSection($"{options.Path}:{ConfigurationKeys.Settings}"), _router.Ports);
                }
                catch (Exception ex)
                {
                    refused = [new ConfigurationProblem($"{options.Path}:{ConfigurationKeys.Settings}", $"the stage failed while reconfiguring: {ex.GetType().Name}: {ex.Message}")];
                }

                string settingsPath = $"{options.Path}:{ConfigurationKeys.Settings}";
                if (refused.Count > 0)
                {
                    foreach (ConfigurationProblem problem in refused)
                    {
                        Log.Problem(_logger, problem.Path, problem.Message);
                    }

                    Log.StageKept(_logger, stage.Name);
                    refusedStages.Add(settingsPath);
                }
                else
                {
                    reconfigured++;
                    live.Add(settingsPath);
                    if (stage.Stage is IRestartBoundSettings bound)
                    {
                        foreach (string key in bound.RestartBoundKeys)
                        {
                            restartBound.Add($"{settingsPath}:{key}");
                        }
                    }
                }
            }

            int notApplied = 0;
            foreach (string key in changed)
            {
                if (Under(key, refusedStages))
                {
                    continue; // reported with the stage's problems: it keeps its last good settings
                }

                if (!Under(key, live) || Under(key, restartBound))
                {
                    Log.NotApplied(_logger, key);
                    notApplied++;
                }
            }

            // What is not applied stays "changed" (compared with what runs) until a restart, so it is reported again.
            _values = Merge(_values, values, changed, live, restartBound);
            _running = next;
            if (notApplied == 0)
            {
                Log.Applied(_logger, generation, reconfigured);
            }
            else
            {
                Log.AppliedExcept(_logger, generation, reconfigured, notApplied);
            }

            Applied++;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
        }

        _sighup?.Dispose();
        _changeRegistration?.Dispose();
        _timer.Dispose();
    }

    private List<ConfigurationProblem> RefusedFiles()
    {
        var problems = new List<ConfigurationProblem>();
        foreach (IConfigurationProvider provider in _configuration.Providers)
        {
            if (provider is TrustedJsonConfigurationProvider { Refusal: { } refusal } file)
            {
                problems.Add(new(file.FullPath, refusal));
            }
        }

        return problems;
    }

    private void Schedule() => _timer.Change(QuietPeriod, Timeout.InfiniteTimeSpan);

    /// <summary>
    /// Every key of the configuration with its value (sections have none), as <c>AsEnumerable()</c> lists them: the
    /// keys every provider lists, each with the value of the last provider that has it (a null there hides the key).
    /// The keys are gathered provider by provider rather than through the merged root, whose every section read asks
    /// and sorts every provider again: for a hub of 10 000 peers that was a tenth of the start.
    /// </summary>
    internal static Dictionary<string, string?> Flatten(IConfigurationRoot configuration)
    {
        var keys = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var providers = new List<IConfigurationProvider>(configuration.Providers);
        foreach (IConfigurationProvider provider in providers)
        {
            AddKeys(provider, null, keys);
        }

        var values = new Dictionary<string, string?>(keys.Count, StringComparer.OrdinalIgnoreCase);
        foreach (string key in keys)
        {
            for (int i = providers.Count - 1; i >= 0; i--)
            {
                if (providers[i].TryGet(key, out string? value))
                {
                    if (value is not null)
                    {
                        values[key] = value;
                    }

                    break;
                }
            }
        }

        return values;
    }

    private static void AddKeys(IConfigurationProvider provider, string? path, HashSet<string> keys)
    {
        // A provider lists a child once per key below it: each child once (most paths are leaves, with none).
        HashSet<string>? children = null;
        foreach (string child in provider.GetChildKeys([], path))
        {
            children ??= new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            if (children.Add(child))
            {
                string key = path is null ? child : ConfigurationPath.Combine(path, child);
                keys.Add(key);
                AddKeys(provider, key, keys);
            }
        }
    }

    /// <summary>The keys added, removed or changed between two flattened configurations, in order.</summary>
    internal static List<string> Changed(Dictionary<string, string?> before, Dictionary<string, string?> after)
    {
        var changed = new SortedSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in after)
        {
            if (!before.TryGetValue(key, out string? old) || !string.Equals(old, value, StringComparison.Ordinal))
            {
                changed.Add(key);
            }
        }

        foreach (string key in before.Keys)
        {
            if (!after.ContainsKey(key))
            {
                changed.Add(key);
            }
        }

        return [.. changed];
    }

    /// <summary>Whether <paramref name="key"/> is one of <paramref name="prefixes"/> or below one (by whole segments).</summary>
    internal static bool Under(string key, IEnumerable<string> prefixes)
    {
        foreach (string prefix in prefixes)
        {
            if (key.Equals(prefix, StringComparison.OrdinalIgnoreCase)
                || (key.Length > prefix.Length && key[prefix.Length] == ':' && key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// What runs after this reload: the new value of every key applied live, the old value (or absence) of every key
    /// that was not, so a key not applied is reported again on the next reload until a restart.
    /// </summary>
    private static Dictionary<string, string?> Merge(Dictionary<string, string?> before, Dictionary<string, string?> after, List<string> changed, HashSet<string> live, List<string> restartBound)
    {
        var running = new Dictionary<string, string?>(before, StringComparer.OrdinalIgnoreCase);
        foreach (string key in changed)
        {
            if (Under(key, live) && !Under(key, restartBound))
            {
                if (after.TryGetValue(key, out string? value))
                {
                    running[key] = value;
                }
                else
                {
                    running.Remove(key);
                }
            }
        }

        return running;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 30, Level = LogLevel.Information, Message = "SIGHUP: re-reading the configuration")]
        public static partial void Signal(ILogger logger);

        [LoggerMessage(EventId = 31, Level = LogLevel.Error, Message = "Configuration reload: {Path}: {Problem}")]
        public static partial void Problem(ILogger logger, string path, string problem);

        [LoggerMessage(EventId = 32, Level = LogLevel.Error, Message = "Configuration reload #{Generation} refused ({Count} problem(s)); keeping the last good configuration")]
        public static partial void Refused(ILogger logger, int generation, int count);

        [LoggerMessage(EventId = 33, Level = LogLevel.Information, Message = "Configuration reload #{Generation} applied: {Stages} stage(s) reconfigured")]
        public static partial void Applied(ILogger logger, int generation, int stages);

        [LoggerMessage(EventId = 34, Level = LogLevel.Warning, Message = "Configuration reload: stage {Stage} refused its new settings and keeps its last good ones")]
        public static partial void StageKept(ILogger logger, string stage);

        [LoggerMessage(EventId = 36, Level = LogLevel.Error, Message = "Configuration reload: the configuration files could not be read; keeping the last good configuration")]
        public static partial void ReadFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 37, Level = LogLevel.Error, Message = "Configuration reload failed; keeping the last good configuration")]
        public static partial void ReloadFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 35, Level = LogLevel.Warning, Message = "Configuration reload: {Path}: changed, not applied (needs restart); the running router keeps it as it was")]
        public static partial void NotApplied(ILogger logger, string path);

        [LoggerMessage(EventId = 38, Level = LogLevel.Warning, Message = "Configuration reload #{Generation} applied in part: {Stages} stage(s) reconfigured; {NotApplied} changed key(s) not applied (need restart, listed above)")]
        public static partial void AppliedExcept(ILogger logger, int generation, int stages, int notApplied);
    }
}
