//! The model's chat template: how a conversation becomes the text the model reads.
//!
//! Hugging Face models carry their template as Jinja, in `tokenizer_config.json`
//! (`chat_template`) or in `chat_template.jinja`; it is rendered with `messages`,
//! `add_generation_prompt` and the special tokens, as `transformers` does. A model without
//! one gets ChatML (`<|im_start|>role\n…<|im_end|>\n`), which the shipped model uses.

use minijinja::{context, Environment, Error, ErrorKind};
use serde::Serialize;

/// One turn of a conversation, as the draft model reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Turn {
    pub role: String,
    pub content: String,
}

impl Turn {
    pub fn new(role: impl Into<String>, content: impl Into<String>) -> Turn {
        Turn {
            role: role.into(),
            content: content.into(),
        }
    }
}

const CHATML: &str = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + \
                      message['content'] + '<|im_end|>' + '\n' }}{% endfor %}\
                      {% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

/// A compiled chat template.
pub struct ChatTemplate {
    env: Environment<'static>,
    bos: String,
    eos: String,
}

impl ChatTemplate {
    /// Compiles `source` (None: ChatML); `bos` and `eos` are the special tokens' text.
    pub fn new(source: Option<&str>, bos: &str, eos: &str) -> Result<ChatTemplate, Error> {
        let mut env = Environment::new();
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function(
            "raise_exception",
            |message: String| -> Result<String, Error> {
                Err(Error::new(ErrorKind::InvalidOperation, message))
            },
        );
        env.add_template_owned("chat", source.unwrap_or(CHATML).to_owned())?;
        Ok(ChatTemplate {
            env,
            bos: bos.to_owned(),
            eos: eos.to_owned(),
        })
    }

    /// The conversation as the model's prompt, ending with the assistant's turn opening.
    pub fn render(&self, turns: &[Turn]) -> Result<String, Error> {
        self.env.get_template("chat")?.render(context! {
            messages => turns,
            add_generation_prompt => true,
            bos_token => &self.bos,
            eos_token => &self.eos,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chatml_by_default() {
        let t = ChatTemplate::new(None, "<|im_start|>", "<|im_end|>").unwrap();
        let text = t
            .render(&[Turn::new("system", "Be brief."), Turn::new("user", "Hi")])
            .unwrap();
        assert_eq!(
            text,
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n\
             <|im_start|>assistant\n"
        );
    }

    #[test]
    fn hugging_face_templates_render_with_python_string_methods() {
        // The shape of SmolLM2-Instruct's template, plus the `.strip()` and
        // `raise_exception` that many templates use.
        let source = "{% for message in messages %}{% if loop.first and messages[0]['role'] != \
                      'system' %}{{ '<|im_start|>system\nYou are helpful.<|im_end|>\n' }}{% endif %}\
                      {% if message['role'] not in ['user', 'assistant', 'system'] %}\
                      {{ raise_exception('bad role') }}{% endif %}\
                      {{ '<|im_start|>' + message['role'] + '\n' + message['content'].strip() + \
                      '<|im_end|>\n' }}{% endfor %}{% if add_generation_prompt %}\
                      {{ '<|im_start|>assistant\n' }}{% endif %}";
        let t = ChatTemplate::new(Some(source), "<|im_start|>", "<|im_end|>").unwrap();
        let text = t.render(&[Turn::new("user", "  Hi there ")]).unwrap();
        assert_eq!(
            text,
            "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n\
             <|im_start|>assistant\n"
        );
        let err = t.render(&[Turn::new("tool", "x")]).unwrap_err();
        assert!(err.to_string().contains("bad role"), "{err}");
    }
}
