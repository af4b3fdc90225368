"""The spaCy pipeline: built by pipeline_builder, loaded by Rasa's SpacyNLP."""
