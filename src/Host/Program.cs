using System.CommandLine;
using RouterHost.Cli;

namespace RouterHost;

/// <summary>The <c>routerhost</c> command line.</summary>
public static class Program
{
    /// <summary>
    /// Set by a supervisor (<c>routerhost demo</c>) to its pid: this process then ends when the supervisor does,
    /// however the supervisor ends (the kernel sends SIGTERM; see <see cref="Linux.ParentWatch"/>).
    /// </summary>
    public const string ParentPidVariable = "ROUTERHOST_PARENT_PID";

    public static int Main(string[] args)
    {
        if (Environment.GetEnvironmentVariable(ParentPidVariable) is { } parent && OperatingSystem.IsLinux())
        {
            string? error = null;
            if (!int.TryParse(parent, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int pid)
                || !Linux.ParentWatch.ExitWithParent(pid, out error))
            {
                Console.Error.WriteLine($"error: {ParentPidVariable}={parent}: the supervising process is gone or cannot be watched{(error is null ? string.Empty : $" ({error})")}; not starting");
                return 1;
            }
        }

        RootCommand root = CreateRootCommand();
        return root.Parse(args).Invoke();
    }

    internal static RootCommand CreateRootCommand()
    {
        var root = new RootCommand("RouterHost: a userspace router with pluggable backends (TUN, AF_XDP, Wintun) and a chain of stages (routing, firewall, WireGuard).")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        root.Options.Add(CliConfiguration.ConfigOption);
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(ValidateCommand.Create());
        root.Subcommands.Add(PluginsCommand.Create());
        root.Subcommands.Add(ShowCommand.Create());
        root.Subcommands.Add(ShowconfCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(ImportCommand.Create());
        root.Subcommands.Add(KeyCommands.CreateGenkey());
        root.Subcommands.Add(KeyCommands.CreatePubkey());
        root.Subcommands.Add(KeyCommands.CreateGenpsk());
        root.SetAction(RunCommand.Run);
        return root;
    }
}
