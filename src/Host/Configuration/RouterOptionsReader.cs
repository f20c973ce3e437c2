using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;
using RouterHost.Settings;

namespace RouterHost.Configuration;

/// <summary>
/// Reads <see cref="RouterOptions"/> from configuration by hand rather than through the binder, so every
/// problem names the exact key path it comes from and unknown keys (typos) are reported, not ignored.
/// </summary>
internal static class RouterOptionsReader
{
    public const int DefaultBatchSize = 64;
    public const int MaxBatchSize = 1024;

    /// <summary>The highest <c>SCHED_FIFO</c> priority Linux has.</summary>
    public const int MaxRealtimePriority = 99;
    public const double DefaultShutdownTimeoutSeconds = 5;
    public const string DefaultControlSocket = "/run/routerhost/control.sock";

    private static readonly string[] s_rootKeys =
        [ConfigurationKeys.Plugins, ConfigurationKeys.Pipeline, ConfigurationKeys.Interfaces, ConfigurationKeys.Shutdown, ConfigurationKeys.Control, ConfigurationKeys.Serilog, ConfigurationKeys.Metrics, ConfigurationKeys.Log];

    private static readonly string[] s_pluginsKeys = ["Path", "Paths", "Sha256"];
    private static readonly string[] s_pipelineKeys = [ConfigurationKeys.BatchSize, ConfigurationKeys.Stages, ConfigurationKeys.CpuAffinity, ConfigurationKeys.RealtimePriority];
    private static readonly string[] s_stageKeys = [ConfigurationKeys.Name, ConfigurationKeys.Type, ConfigurationKeys.Settings];
    private static readonly string[] s_interfaceKeys = [ConfigurationKeys.Backend, ConfigurationKeys.Groups, ConfigurationKeys.KernelRoutes, ConfigurationKeys.Settings];
    private static readonly string[] s_shutdownKeys = ["TimeoutSeconds"];
    private static readonly string[] s_controlKeys = ["Socket"];
    private static readonly string[] s_metricsKeys = ["Prometheus"];
    private static readonly string[] s_logKeys = ["Format", "Journal"];

    /// <summary>
    /// Reads the options, adding every problem found to <paramref name="problems"/>. Returns the options even
    /// when there are problems (with defaults in place of bad values) so later checks can still run.
    /// </summary>
    public static RouterOptions Read(IConfiguration configuration, string baseDirectory, List<ConfigurationProblem> problems)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var reader = new SettingsReader(problems);
        reader.CheckKeys(configuration.GetChildren(), "the top level", s_rootKeys);

        IConfigurationSection plugins = configuration.GetSection(ConfigurationKeys.Plugins);
        CheckKeys(reader, plugins, s_pluginsKeys);
        PluginPins.Read(configuration, problems);
        IReadOnlyList<Plugins.PluginSearchPath> pluginPaths = Plugins.PluginDiscovery.SearchPaths(configuration, baseDirectory, problems);

        if (configuration is IConfigurationRoot root)
        {
            foreach (StageNameOverrideProvider provider in root.Providers.OfType<StageNameOverrideProvider>())
            {
                problems.AddRange(provider.Problems());
            }
        }

        PipelineOptions pipeline = ReadPipeline(configuration.GetSection(ConfigurationKeys.Pipeline), reader);
        IReadOnlyList<InterfaceOptions> interfaces = ReadInterfaces(configuration.GetSection(ConfigurationKeys.Interfaces), reader);

        IConfigurationSection shutdown = configuration.GetSection(ConfigurationKeys.Shutdown);
        CheckKeys(reader, shutdown, s_shutdownKeys);
        double timeoutSeconds = reader.Number(shutdown, "TimeoutSeconds", DefaultShutdownTimeoutSeconds, 0.1, 300);

        IConfigurationSection control = configuration.GetSection(ConfigurationKeys.Control);
        CheckKeys(reader, control, s_controlKeys);
        string? controlSocket = ReadControlSocket(configuration.GetSection(ConfigurationKeys.ControlSocket), problems);

        IConfigurationSection metrics = configuration.GetSection(ConfigurationKeys.Metrics);
        CheckKeys(reader, metrics, s_metricsKeys);
        IPEndPoint? prometheus = ReadPrometheusAddress(configuration.GetSection(ConfigurationKeys.MetricsPrometheus), problems);

        IConfigurationSection log = configuration.GetSection(ConfigurationKeys.Log);
        CheckKeys(reader, log, s_logKeys);
        LogOptions.Read(configuration, problems);

        return new RouterOptions(pluginPaths, pipeline, interfaces, TimeSpan.FromSeconds(timeoutSeconds), controlSocket, prometheus);
    }

    /// <summary>
    /// <c>Metrics:Prometheus</c>: absent, empty or <c>"off"</c> (no endpoint), a port alone (<c>"9586"</c>: on
    /// 127.0.0.1), or an address and port (<c>"127.0.0.1:9586"</c>, <c>"[::1]:9586"</c>, <c>"0.0.0.0:9586"</c>).
    /// </summary>
    public static IPEndPoint? ReadPrometheusAddress(IConfigurationSection section, List<ConfigurationProblem>? problems)
    {
        string? text = section.Value?.Trim();
        if (text is null || text.Length == 0 || string.Equals(text, "off", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port is > 0 and <= 65535)
        {
            return new IPEndPoint(IPAddress.Loopback, port);
        }

        // IPEndPoint.TryParse takes "1.2.3.4" (port 0) and bare IPv6 too: insist on an explicit port.
        bool hasPort = text.StartsWith('[') ? text.Contains("]:", StringComparison.Ordinal) : text.Count(c => c == ':') == 1;
        if (hasPort && IPEndPoint.TryParse(text, out IPEndPoint? endpoint) && endpoint.Port is > 0 and <= 65535 && (endpoint.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6 || endpoint.Address.ScopeId == 0))
        {
            return endpoint;
        }

        problems?.Add(new(section.Path, $"must be \"off\", a port (on 127.0.0.1) or an IP address and port such as \"127.0.0.1:9586\" or \"[::1]:9586\" (got '{text}')"));
        return null;
    }

    /// <summary>Where the control socket lives: an absolute path, or "" / "off" for none.</summary>
    public static string? ReadControlSocket(IConfigurationSection section, List<ConfigurationProblem>? problems)
    {
        string? text = section.Value;
        if (text is null)
        {
            return DefaultControlSocket;
        }

        if (text.Length == 0 || string.Equals(text, "off", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (!Path.IsPathRooted(text) || System.Text.Encoding.UTF8.GetByteCount(text) > 107)
        {
            problems?.Add(new(section.Path, $"must be an absolute path of at most 107 bytes (a Unix socket), or \"off\" (got '{text}')"));
            return DefaultControlSocket;
        }

        return text;
    }

    /// <summary>
    /// <c>Pipeline:CpuAffinity</c>: absent or <c>"off"</c> (threads float), <c>"auto"</c> (lane i on CPU i mod the CPU
    /// count: an interface's queue i and a tunnel's socket i then share CPU i), or a list of CPU numbers (lane i on entry
    /// i mod the list's length).
    /// </summary>
    private static IReadOnlyList<int>? ReadCpuAffinity(IConfigurationSection section, List<ConfigurationProblem> problems)
    {
        if (section.Value is { } text)
        {
            if (string.Equals(text.Trim(), "off", StringComparison.OrdinalIgnoreCase) || text.Length == 0)
            {
                return null;
            }

            if (string.Equals(text.Trim(), "auto", StringComparison.OrdinalIgnoreCase))
            {
                return [.. Enumerable.Range(0, Environment.ProcessorCount)];
            }

            problems.Add(new(section.Path, $"must be \"off\", \"auto\" or a list of CPU numbers (got '{text}')"));
            return null;
        }

        var cpus = new List<int>();
        foreach (IConfigurationSection item in section.GetChildren())
        {
            if (!int.TryParse(item.Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int cpu) || cpu >= 1024)
            {
                problems.Add(new(item.Path, $"must be a CPU number 0..1023 (got '{item.Value}')"));
                continue;
            }

            cpus.Add(cpu);
        }

        return cpus.Count == 0 ? null : cpus;
    }

    private static PipelineOptions ReadPipeline(IConfigurationSection section, SettingsReader reader)
    {
        List<ConfigurationProblem> problems = reader.Problems;
        CheckKeys(reader, section, s_pipelineKeys);
        int batchSize = (int)reader.Integer(section, ConfigurationKeys.BatchSize, DefaultBatchSize, 1, MaxBatchSize);
        IReadOnlyList<int>? affinity = ReadCpuAffinity(section.GetSection(ConfigurationKeys.CpuAffinity), problems);
        int realtimePriority = (int)reader.Integer(section, ConfigurationKeys.RealtimePriority, 0, 0, MaxRealtimePriority);

        var stages = new List<StageOptions>();
        var namesSeen = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        IConfigurationSection stagesSection = section.GetSection(ConfigurationKeys.Stages);
        if (stagesSection.Value is { Length: > 0 })
        {
            problems.Add(new(stagesSection.Path, "must be a list of stages, each with a Type (and optionally a Name and Settings)"));
        }

        foreach (IConfigurationSection stage in OrderedChildren(stagesSection, problems))
        {
            CheckKeys(reader, stage, s_stageKeys);
            string? type = stage[ConfigurationKeys.Type];
            if (string.IsNullOrWhiteSpace(type))
            {
                problems.Add(new($"{stage.Path}:{ConfigurationKeys.Type}", "is missing: name the stage plugin to use (see 'routerhost plugins')"));
                continue;
            }

            string name = stage[ConfigurationKeys.Name] is { Length: > 0 } n ? n : type;
            if (namesSeen.TryGetValue(name, out string? firstPath))
            {
                problems.Add(new($"{stage.Path}:{ConfigurationKeys.Name}", $"stage name '{name}' is already used by {firstPath}; give each stage a unique Name"));
                continue;
            }

            namesSeen.Add(name, stage.Path);
            stages.Add(new StageOptions(name, type, stage.Path));
        }

        return new PipelineOptions(batchSize, stages, affinity, realtimePriority);
    }

    private static List<InterfaceOptions> ReadInterfaces(IConfigurationSection section, SettingsReader reader)
    {
        List<ConfigurationProblem> problems = reader.Problems;
        var interfaces = new List<InterfaceOptions>();
        if (section.Value is { Length: > 0 })
        {
            problems.Add(new(section.Path, "must be a section with one entry per interface, keyed by interface name"));
            return interfaces;
        }

        foreach (IConfigurationSection iface in section.GetChildren())
        {
            string name = iface.Key;
            if (!SettingsReader.IsPlainName(name))
            {
                problems.Add(new(iface.Path, $"'{name}' is not a usable interface name (no spaces, slashes or control characters)"));
                continue;
            }

            if (int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                problems.Add(new(iface.Path, "interfaces are keyed by name (\"Interfaces\": { \"tun0\": { ... } }), not listed as an array"));
                continue;
            }

            CheckKeys(reader, iface, s_interfaceKeys);
            string? backend = iface[ConfigurationKeys.Backend];
            if (string.IsNullOrWhiteSpace(backend))
            {
                problems.Add(new($"{iface.Path}:{ConfigurationKeys.Backend}", "is missing: name the backend plugin to use (see 'routerhost plugins')"));
                continue;
            }

            var groups = new List<string>();
            IConfigurationSection groupsSection = iface.GetSection(ConfigurationKeys.Groups);
            if (groupsSection.Value is { Length: > 0 } single)
            {
                groups.Add(single);
            }

            foreach (IConfigurationSection g in groupsSection.GetChildren())
            {
                if (string.IsNullOrWhiteSpace(g.Value))
                {
                    problems.Add(new(g.Path, "group names must not be empty"));
                }
                else
                {
                    groups.Add(g.Value);
                }
            }

            bool? kernelRoutes = null;
            if (iface[ConfigurationKeys.KernelRoutes] is { } kernelText)
            {
                if (bool.TryParse(kernelText.Trim(), out bool on))
                {
                    kernelRoutes = on;
                }
                else
                {
                    problems.Add(new($"{iface.Path}:{ConfigurationKeys.KernelRoutes}", $"must be true (the peers' AllowedIPs become kernel routes on this interface's device) or false (never here); got '{kernelText}'"));
                }
            }

            interfaces.Add(new InterfaceOptions(name, backend, groups, iface.Path) { KernelRoutes = kernelRoutes });
        }

        return interfaces;
    }

    /// <summary>Array children in index order; a non-numeric key means the value is not a list.</summary>
    private static List<IConfigurationSection> OrderedChildren(IConfigurationSection section, List<ConfigurationProblem> problems)
    {
        var items = new List<(int Index, IConfigurationSection Section)>();
        foreach (IConfigurationSection child in section.GetChildren())
        {
            if (!int.TryParse(child.Key, NumberStyles.None, CultureInfo.InvariantCulture, out int index))
            {
                problems.Add(new(child.Path, $"'{child.Key}' is not a list index: {section.Path} must be a list"));
                continue;
            }

            items.Add((index, child));
        }

        items.Sort((a, b) => a.Index.CompareTo(b.Index));
        var result = new List<IConfigurationSection>(items.Count);
        foreach (var item in items)
        {
            result.Add(item.Section);
        }

        return result;
    }

    /// <summary>Unknown keys of <paramref name="section"/>, reported as "unknown key in" its path.</summary>
    private static void CheckKeys(SettingsReader reader, IConfigurationSection section, string[] known) =>
        reader.CheckKeys(section.GetChildren(), section.Path, known);
}
