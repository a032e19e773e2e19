//! `chatrec bench llm`: how fast the in-process model reads and writes on this machine,
//! measured as llama.cpp's llama-bench measures it, so the two can be compared on the same
//! GGUF in the same run (bench/llm/llama_bench.sh runs llama-bench).

use anyhow::Result;

use crate::cli::BenchLlmArgs;

#[cfg(feature = "local-llm")]
pub fn llm(args: &BenchLlmArgs, quiet: bool) -> Result<()> {
    use anyhow::Context;
    use chatrec_llm::local::{LocalModel, LocalOptions};
    use chatrec_llm::{ChatModel, CompletionRequest, Message};

    use crate::output::write_file;

    let path = args
        .model_path
        .clone()
        .unwrap_or_else(|| chatrec_llm::models::smollm2_path(&args.data));
    let model = LocalModel::load(
        &path,
        LocalOptions {
            threads: args.threads,
            context_tokens: (args.prompt + args.generate + 64) as u32,
        },
    )
    .context("cannot load the model (fetch it with `chatrec models fetch smollm2`)")?;
    if !quiet {
        eprintln!(
            "measuring {} (pp{}, tg{}, {} repetitions) ...",
            path.display(),
            args.prompt,
            args.generate,
            args.repetitions
        );
    }
    let speed = model.speed(args.prompt, args.generate, args.repetitions)?;
    // One request as the dialogue sends it: chat template, prompt, greedy generation.
    let request = CompletionRequest {
        messages: vec![
            Message::system("You recommend films."),
            Message::user("Suggest one science-fiction film from the 1980s in one sentence."),
        ],
        max_tokens: 48,
        temperature: 0.0,
        seed: 42,
        format: chatrec_llm::OutputFormat::Text,
    };
    let done = model.complete(&request)?;
    let report = serde_json::json!({
        "model": path.display().to_string(),
        "threads": if args.threads == 0 { std::thread::available_parallelism().map_or(1, usize::from) } else { args.threads },
        "prompt_tokens": speed.prompt_tokens,
        "prompt_tokens_per_sec": speed.prompt_tokens_per_sec,
        "generated_tokens": speed.generated_tokens,
        "generated_tokens_per_sec": speed.generated_tokens_per_sec,
        "chat_request_ms": done.latency.as_secs_f64() * 1e3,
        "chat_request_prompt_tokens": done.prompt_tokens,
        "chat_request_generated_tokens": done.completion_tokens,
    });
    println!(
        "pp{}: {:.1} tokens/s   tg{}: {:.1} tokens/s   one chat request: {:.0} ms ({} prompt + {} generated tokens)",
        speed.prompt_tokens,
        speed.prompt_tokens_per_sec,
        speed.generated_tokens,
        speed.generated_tokens_per_sec,
        done.latency.as_secs_f64() * 1e3,
        done.prompt_tokens,
        done.completion_tokens
    );
    if let Some(path) = &args.json {
        write_file(path, &serde_json::to_string_pretty(&report)?)?;
    }
    Ok(())
}

#[cfg(not(feature = "local-llm"))]
pub fn llm(_args: &BenchLlmArgs, _quiet: bool) -> Result<()> {
    anyhow::bail!("this build has no local models: rebuild with the `local-llm` feature")
}
