//! A GGUF model run in-process by llama.cpp (through `llama-cpp-2`), on the CPU. The chat
//! template comes from the GGUF metadata; structured answers are sampled under the task's
//! GBNF grammar, so they always parse. One generation at a time: on a small machine two
//! would only share the same cores.

use std::num::NonZeroU32;
use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::{LlamaChatMessage, LlamaChatTemplate, LlamaModel};
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::data::LlamaTokenData;
use llama_cpp_2::token::data_array::LlamaTokenDataArray;
use llama_cpp_2::token::LlamaToken;
use serde::Serialize;

use crate::chat::{
    ChatModel, Completion, CompletionRequest, OutputFormat, Role, Usage, UsageCounts,
};
use crate::error::LlmError;
use crate::limiter::Limiter;

/// Tokens decoded per batch while reading the prompt.
const PROMPT_BATCH: usize = 512;

/// llama.cpp's backend is initialised once per process.
static BACKEND: OnceLock<Result<LlamaBackend, String>> = OnceLock::new();

fn backend() -> Result<&'static LlamaBackend, String> {
    BACKEND
        .get_or_init(|| {
            llama_cpp_2::send_logs_to_tracing(
                llama_cpp_2::LogOptions::default().with_logs_enabled(false),
            );
            LlamaBackend::init().map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(Clone::clone)
}

#[derive(Debug, Clone, Copy)]
pub struct LocalOptions {
    /// CPU threads; 0 = every core.
    pub threads: usize,
    pub context_tokens: u32,
}

/// Prompt and generation speed, measured as llama-bench does (`pp` prompt tokens decoded
/// in batches, then `tg` tokens generated one at a time).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Speed {
    pub prompt_tokens: usize,
    pub prompt_tokens_per_sec: f64,
    pub generated_tokens: usize,
    pub generated_tokens_per_sec: f64,
}

/// How the next token is chosen: freely, or under a grammar.
enum Picker {
    Free(LlamaSampler),
    Constrained {
        grammar: LlamaSampler,
        pick: LlamaSampler,
    },
}

pub struct LocalModel {
    model: LlamaModel,
    template: LlamaChatTemplate,
    name: String,
    path: String,
    threads: i32,
    context_tokens: u32,
    limiter: Limiter,
    usage: Usage,
}

impl LocalModel {
    pub fn load(path: &Path, options: LocalOptions) -> Result<Self, LlmError> {
        let shown = path.display().to_string();
        let fail = |reason: String| LlmError::Local {
            path: shown.clone(),
            reason,
        };
        if !path.is_file() {
            return Err(fail(
                "no such file (fetch it with `chatrec models fetch smollm2`)".into(),
            ));
        }
        let backend = backend().map_err(&fail)?;
        let model = LlamaModel::load_from_file(backend, path, &LlamaModelParams::default())
            .map_err(|e| fail(format!("not a model llama.cpp can load: {e}")))?;
        let template = model.chat_template(None).map_err(|e| {
            fail(format!(
                "the GGUF metadata has no usable chat template: {e}"
            ))
        })?;
        let threads = if options.threads == 0 {
            std::thread::available_parallelism().map_or(1, usize::from)
        } else {
            options.threads
        };
        let name = path
            .file_stem()
            .map(|s| format!("local:{}", s.to_string_lossy()))
            .unwrap_or_else(|| "local".into());
        Ok(Self {
            model,
            template,
            name,
            path: shown,
            threads: i32::try_from(threads).unwrap_or(1),
            context_tokens: options.context_tokens.max(256),
            limiter: Limiter::new(1),
            usage: Usage::default(),
        })
    }

    fn fail(&self, reason: impl std::fmt::Display) -> LlmError {
        LlmError::Local {
            path: self.path.clone(),
            reason: reason.to_string(),
        }
    }

    fn context(&self, tokens: u32) -> Result<LlamaContext<'_>, LlmError> {
        let backend = backend().map_err(|e| self.fail(e))?;
        let params = LlamaContextParams::default()
            .with_n_ctx(NonZeroU32::new(tokens))
            .with_n_batch(PROMPT_BATCH as u32)
            .with_n_threads(self.threads)
            .with_n_threads_batch(self.threads);
        self.model
            .new_context(backend, params)
            .map_err(|e| self.fail(format!("cannot create a context: {e}")))
    }

    /// The conversation in the model's own chat format, ending where the assistant speaks.
    fn prompt(&self, request: &CompletionRequest) -> Result<String, LlmError> {
        let messages = request
            .messages
            .iter()
            .map(|m| {
                let role = match m.role {
                    Role::System => "system",
                    Role::User => "user",
                    Role::Assistant => "assistant",
                };
                LlamaChatMessage::new(role.to_owned(), m.content.replace('\0', " "))
                    .map_err(|e| self.fail(e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.model
            .apply_chat_template(&self.template, &messages, true)
            .map_err(|e| self.fail(format!("cannot apply the chat template: {e}")))
    }

    /// Decodes `tokens` from position `start`, asking for logits of the last one.
    fn feed(
        &self,
        context: &mut LlamaContext<'_>,
        batch: &mut LlamaBatch,
        tokens: &[LlamaToken],
        start: usize,
    ) -> Result<(), LlmError> {
        for (chunk_index, chunk) in tokens.chunks(PROMPT_BATCH).enumerate() {
            batch.clear();
            let offset = start + chunk_index * PROMPT_BATCH;
            for (i, &token) in chunk.iter().enumerate() {
                let position = offset + i;
                let last = position + 1 == start + tokens.len();
                batch
                    .add(token, position as i32, &[0], last)
                    .map_err(|e| self.fail(e))?;
            }
            context
                .decode(batch)
                .map_err(|e| self.fail(format!("decode failed: {e}")))?;
        }
        Ok(())
    }

    fn generate(&self, request: &CompletionRequest) -> Result<Completion, LlmError> {
        let started = Instant::now();
        let prompt = self.prompt(request)?;
        let vocab = self.model.vocab();
        let tokens = vocab.tokenize(prompt.as_bytes(), true, true);
        let budget = request.max_tokens as usize;
        let needed = tokens.len() + budget;
        if needed > self.context_tokens as usize {
            return Err(self.fail(format!(
                "the prompt ({} tokens) and the answer ({budget}) exceed the context of {} tokens",
                tokens.len(),
                self.context_tokens
            )));
        }
        let mut context = self.context(needed as u32)?;
        let mut batch = LlamaBatch::new(PROMPT_BATCH, 1);
        self.feed(&mut context, &mut batch, &tokens, 0)?;
        let mut picker = self.picker(request)?;
        let mut bytes: Vec<u8> = Vec::new();
        let mut generated = 0u64;
        for position in tokens.len()..tokens.len() + budget {
            let token = self.next_token(&mut picker, &context, batch.n_tokens() - 1)?;
            if vocab.is_eog(token) {
                break;
            }
            generated += 1;
            bytes.extend(vocab.token_to_piece(token, false, None));
            self.feed(&mut context, &mut batch, &[token], position)?;
        }
        Ok(Completion {
            text: String::from_utf8_lossy(&bytes).into_owned(),
            prompt_tokens: tokens.len() as u64,
            completion_tokens: generated,
            latency: started.elapsed(),
        })
    }

    fn picker(&self, request: &CompletionRequest) -> Result<Picker, LlmError> {
        let pick = if request.temperature <= 0.0 {
            LlamaSampler::greedy()
        } else {
            LlamaSampler::chain_simple([
                LlamaSampler::temp(request.temperature),
                LlamaSampler::dist(request.seed as u32),
            ])
        };
        Ok(match &request.format {
            OutputFormat::Text => Picker::Free(pick),
            OutputFormat::Json { grammar, .. } => {
                let grammar = LlamaSampler::grammar(&self.model, grammar, "root")
                    .map_err(|e| self.fail(format!("the output grammar does not compile: {e}")))?;
                Picker::Constrained { grammar, pick }
            }
        })
    }

    /// The next token. Under a grammar, the model's own choice is kept when the grammar
    /// allows it, and the grammar is applied to the whole vocabulary only when it does not
    /// (as llama.cpp's own sampler does): checking 49k tokens at every step is what makes
    /// constrained generation slow.
    fn next_token(
        &self,
        picker: &mut Picker,
        context: &LlamaContext<'_>,
        index: i32,
    ) -> Result<LlamaToken, LlmError> {
        let (grammar, pick) = match picker {
            Picker::Free(pick) => return Ok(pick.sample(context, index)),
            Picker::Constrained { grammar, pick } => (grammar, pick),
        };
        let first = pick.sample(context, index);
        let logit = context
            .get_logits_ith(index)
            .get(first.0 as usize)
            .copied()
            .unwrap_or(f32::NEG_INFINITY);
        let mut single =
            LlamaTokenDataArray::new(vec![LlamaTokenData::new(first, logit, 0.0)], false);
        single.apply_sampler(grammar);
        let allowed = single.data.first().is_some_and(|d| d.logit().is_finite());
        let token = if allowed {
            first
        } else {
            let mut all = context.token_data_array_ith(index);
            all.apply_sampler(grammar);
            all.apply_sampler(pick);
            all.selected_token()
                .ok_or_else(|| self.fail("the grammar allows no token here"))?
        };
        grammar.accept(token);
        Ok(token)
    }

    /// Prompt processing and generation speed on this machine, as llama-bench measures
    /// them: `prompt` tokens decoded in batches, then `generate` tokens one at a time,
    /// `repetitions` times each, averaged.
    pub fn speed(
        &self,
        prompt: usize,
        generate: usize,
        repetitions: usize,
    ) -> Result<Speed, LlmError> {
        let _permit = self.limiter.acquire();
        let vocab = self.model.vocab();
        let n_vocab = vocab.n_tokens().max(2);
        // A fixed pseudo-random token sequence, as llama-bench feeds.
        let tokens: Vec<LlamaToken> = (0..prompt.max(generate))
            .map(|i| LlamaToken(((i as u64 * 2_654_435_761) % n_vocab as u64) as i32))
            .collect();
        let mut prompt_time = Duration::ZERO;
        let mut generate_time = Duration::ZERO;
        let mut batch = LlamaBatch::new(PROMPT_BATCH, 1);
        for _ in 0..repetitions.max(1) {
            let mut context = self.context((prompt + generate + 8) as u32)?;
            let started = Instant::now();
            self.feed(&mut context, &mut batch, &tokens[..prompt], 0)?;
            prompt_time += started.elapsed();
            let mut context = self.context((generate + 8) as u32)?;
            let started = Instant::now();
            for (position, &token) in tokens[..generate].iter().enumerate() {
                self.feed(&mut context, &mut batch, &[token], position)?;
            }
            generate_time += started.elapsed();
        }
        let reps = repetitions.max(1) as f64;
        let rate = |n: usize, t: Duration| {
            if t.is_zero() {
                0.0
            } else {
                n as f64 * reps / t.as_secs_f64()
            }
        };
        Ok(Speed {
            prompt_tokens: prompt,
            prompt_tokens_per_sec: rate(prompt, prompt_time),
            generated_tokens: generate,
            generated_tokens_per_sec: rate(generate, generate_time),
        })
    }
}

impl ChatModel for LocalModel {
    fn name(&self) -> &str {
        &self.name
    }

    fn complete(&self, request: &CompletionRequest) -> Result<Completion, LlmError> {
        let _permit = self.limiter.acquire();
        let result = self.generate(request);
        self.usage.record(&result);
        result
    }

    fn usage(&self) -> UsageCounts {
        self.usage.snapshot()
    }
}
