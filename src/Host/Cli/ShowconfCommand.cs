using System.CommandLine;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Configuration;
using RouterHost.Configuration;

namespace RouterHost.Cli;

/// <summary>
/// <c>routerhost showconf [STAGE]</c>: prints a WireGuard stage of the running router in wg-quick's format, as
/// <c>wg showconf</c> prints a device plus wg-quick's <c>Address</c> and <c>MTU</c> lines, read over the control socket.
/// The private and preshared keys are printed only to root (the router checks who connected). Without STAGE, the
/// router's only WireGuard stage.
/// </summary>
internal static class ShowconfCommand
{
    private static readonly Argument<string?> StageArgument = new("STAGE") { Description = "The WireGuard stage's Name (needed when there are several)", Arity = ArgumentArity.ZeroOrOne };

    private static readonly Option<string?> SocketOption = new("--socket")
    {
        Description = "The control socket (default: Control:Socket from the configuration, else " + RouterOptionsReader.DefaultControlSocket + ")",
    };

    public static Command Create()
    {
        var command = new Command("showconf", "Print a running WireGuard stage in wg-quick's configuration format (keys only for root, as wg showconf).")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        command.Arguments.Add(StageArgument);
        command.Options.Add(SocketOption);
        command.SetAction(parseResult => Run(parseResult, Console.Out, Console.Error));
        return command;
    }

    public static int Run(ParseResult parseResult, TextWriter output, TextWriter error)
    {
        string? stage = parseResult.GetValue(StageArgument);
        if (stage is not null && (stage.Length > 200 || stage.Any(char.IsControl)))
        {
            error.WriteLine("error: STAGE must be a stage's Name (no control characters)");
            return 1;
        }

        if (!ShowCommand.TryAsk(parseResult, SocketOption, stage is null ? "showconf" : $"showconf {stage}", error, out byte[] bytes))
        {
            return 1;
        }

        string answer = Encoding.UTF8.GetString(bytes);
        if (answer.StartsWith("error: ", StringComparison.Ordinal) || answer.StartsWith("{\"error\"", StringComparison.Ordinal))
        {
            error.Write(answer.EndsWith('\n') ? answer : answer + "\n");
            return 1;
        }

        output.Write(answer);
        return 0;
    }
}
