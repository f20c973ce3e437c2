namespace RouterHost.Configuration;

/// <summary>The configuration keys the host itself reads (plugins read their own <c>Settings</c> sections).</summary>
internal static class ConfigurationKeys
{
    public const string Plugins = "Plugins";
    public const string PluginsPath = "Plugins:Path";
    public const string PluginsPaths = "Plugins:Paths";
    public const string PluginsSha256 = "Plugins:Sha256";
    public const string Pipeline = "Pipeline";
    public const string BatchSize = "BatchSize";
    public const string Stages = "Stages";
    public const string CpuAffinity = "CpuAffinity";
    public const string RealtimePriority = "RealtimePriority";
    public const string Interfaces = "Interfaces";
    public const string Backend = "Backend";
    public const string Groups = "Groups";
    public const string KernelRoutes = "KernelRoutes";
    public const string Settings = "Settings";
    public const string Name = "Name";
    public const string Type = "Type";
    public const string Shutdown = "Shutdown";
    public const string Serilog = "Serilog";
    public const string Control = "Control";
    public const string ControlSocket = "Control:Socket";
    public const string Metrics = "Metrics";
    public const string MetricsPrometheus = "Metrics:Prometheus";
    public const string Log = "Log";
    public const string LogFormat = "Log:Format";
    public const string LogJournal = "Log:Journal";

    /// <summary>The environment variable prefix; <c>ROUTERHOST__Pipeline__BatchSize</c> sets <c>Pipeline:BatchSize</c>.</summary>
    public const string EnvironmentPrefix = "ROUTERHOST__";
}
