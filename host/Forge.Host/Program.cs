using Forge.Host.Cli;

return await ForgeCommandLine.RunAsync(args);
